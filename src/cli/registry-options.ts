/**
 * How registry commands turn their options into a client: plain http only for hosts named with
 * `--tls-verify=false` (skopeo's flag) or in `LAYERKIT_INSECURE_REGISTRIES` (comma-separated),
 * never as a fallback; credentials from `--creds USER:PASS`, else docker's config.json.
 *
 *   const client = registryClient('127.0.0.1:5000', { tlsVerify: 'false' });
 */
import { UsageError } from '../errors.ts';
import { host } from '../host.ts';
import { type DockerName, parseDockerName } from '../formats/transports.ts';
import { RegistryClient } from '../registry/client.ts';
import type { Credentials } from '../registry/credentials.ts';
import type { DockerReference } from '../registry/reference.ts';
import type { Image, Platform } from '../image/types.ts';
import { formatPlatform } from '../image/platform.ts';
import { checkManifest } from '../registry/manifest.ts';
import { shortId } from '../registry/progress.ts';
import { pushImage, pushIndex } from '../registry/push.ts';
import { openRemoteImage } from '../registry/remote-image.ts';

export interface RegistryCliOptions {
  tlsVerify?: boolean | string;
  creds?: string;
  concurrency?: number | string;
}

const insecureHosts = new Set<string>();

/** Marks `registry` as plain http for this process (what `--tls-verify=false` does). */
export function allowInsecure(registry: string): void {
  insecureHosts.add(registry);
}

export function isInsecure(registry: string): boolean {
  const configured = (host().env('LAYERKIT_INSECURE_REGISTRIES') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return insecureHosts.has(registry) || configured.includes(registry);
}

/** `--tls-verify=false` arrives as false or "false" depending on how it was written. */
export const tlsDisabled = (value: unknown): boolean => value === false || value === 'false' || value === '0';

function parseCreds(text: string | undefined): Credentials | undefined {
  if (text === undefined) return undefined;
  const colon = String(text).indexOf(':');
  if (colon <= 0) throw new UsageError('BAD_OPTION', '--creds must be USER:PASSWORD');
  return { username: String(text).slice(0, colon), password: String(text).slice(colon + 1) };
}

export function registryClient(registry: string, options: RegistryCliOptions = {}): RegistryClient {
  if (tlsDisabled(options.tlsVerify)) allowInsecure(registry);
  const credentials = parseCreds(options.creds);
  return new RegistryClient({ registry, insecure: isInsecure(registry), ...(credentials ? { credentials } : {}), userAgent: 'layerkit' });
}

export const toDockerReference = (name: DockerName): DockerReference => ({
  registry: name.domain, repository: name.path, ...(name.tag !== undefined ? { tag: name.tag } : {}), ...(name.digest ? { digest: name.digest } : {}),
});

export function concurrency(options: RegistryCliOptions): number {
  const n = options.concurrency === undefined ? 3 : Number(options.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError('BAD_OPTION', '--concurrency must be a whole number from 1 to 64');
  return n;
}

/** The options of the running command as cac parsed them (copy's --src-… and --dest-… flags, --all). */
type CommandFlags = RegistryCliOptions & { srcTlsVerify?: unknown; destTlsVerify?: unknown; srcCreds?: string; destCreds?: string; all?: boolean };
let lastRead: { source: string; flags: CommandFlags } | undefined;

/** `docker://…` as an Image for every command that reads images (inspect, history, copy…), read without storing. */
export async function openRegistryImage(name: DockerName, platforms: { platform?: Platform; host?: Platform }, source: string, options: object): Promise<Image> {
  const flags = options as CommandFlags;
  lastRead = { source, flags };
  const client = registryClient(name.domain, { tlsVerify: flags.srcTlsVerify ?? flags.tlsVerify, creds: flags.srcCreds ?? flags.creds } as RegistryCliOptions);
  return openRemoteImage(client, toDockerReference(name), platforms);
}

/** Remembers the options of the image just opened, for a copy to docker:// that follows. */
export function noteSource(source: string, options: object): void {
  lastRead = { source, flags: options as CommandFlags };
}

/**
 * Writes `image` to `docker://…` (copy's destination); `onLayer` hears 'exists' or 'copied'
 * per layer. With copy's `--all` and a source picked from an index, every image of the index is
 * pushed (each opened again with `open`), then the index.
 */
export async function pushToRegistry(image: Image, name: DockerName, onLayer: ((digest: string, status: 'exists' | 'copied') => void) | undefined, open: (source: string, options: object) => Promise<Image>): Promise<void> {
  const flags = lastRead?.flags ?? {};
  const client = registryClient(name.domain, { tlsVerify: flags.destTlsVerify ?? flags.tlsVerify, creds: flags.destCreds ?? flags.creds } as RegistryCliOptions);
  const digests = new Map<string, string>();
  const remember = async (img: Image) => {
    for (const layer of await img.layers()) digests.set(shortId(layer.digest), layer.digest);
    return img;
  };
  const onProgress = (event: { id: string; status: string }) => {
    const digest = digests.get(event.id);
    if (!onLayer || !digest) return;
    if (event.status === 'Pushed') onLayer(digest, 'copied');
    else if (event.status === 'Layer already exists' || event.status.startsWith('Mounted from')) onLayer(digest, 'exists');
  };
  const reference = toDockerReference(name);
  // A copy within one registry mounts the layers from the source repository instead of uploading them.
  const from = lastRead?.source.startsWith('docker://') ? toDockerReference(parseDockerName(lastRead.source.slice('docker://'.length))) : undefined;
  const mountFrom = from && from.registry === reference.registry ? [from.repository] : [];
  const indexBytes = flags.all ? await image.rawIndex?.() : undefined;
  if (!indexBytes || !lastRead) {
    await pushImage(client, reference, await remember(image), { onProgress, mountFrom });
    return;
  }
  const source = lastRead.source;
  const doc = checkManifest(indexBytes, null, source);
  if (doc.kind !== 'index') throw new UsageError('NO_INDEX', `${source} is not an index`);
  const manifests = doc.index.manifests.filter((d) => d.platform?.os !== 'unknown');
  await pushIndex(client, reference, { bytes: indexBytes, mediaType: doc.mediaType, manifests },
    async (d) => remember(await open(source, { ...flags, platform: formatPlatform(d.platform!) })), { onProgress, mountFrom });
}
