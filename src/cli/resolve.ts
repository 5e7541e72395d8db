/**
 * Any reference → an Image, and an Image → any reference: the one place that knows every
 * transport. The registry adds its `docker://` case here (formats may not import the registry).
 *
 *   const image = await openImage('oci-archive:img.tar', { platform: 'linux/arm64' });
 *   await writeImage(image, 'docker-archive:out.tar:me/img:1');
 */
import { LayerkitError, UsageError } from '../errors.ts';
import { host, need } from '../host.ts';
import { asOciImage } from '../image/convert.ts';
import { hostPlatform, parsePlatform } from '../image/platform.ts';
import type { Image, Layer, Platform } from '../image/types.ts';
import { openDockerArchive, writeDockerArchive, type SpooledLayer } from '../formats/docker-archive.ts';
import { decompressedStream } from '../compress/detect.ts';
import { archiveFiles, directoryFiles } from '../formats/layout-files.ts';
import { openOciLayout, writeOciArchive } from '../formats/oci-layout.ts';
import { rootfsImage, tarFileImage } from '../formats/single-layer.ts';
import { familiarName, formatDockerName, parseDockerName, parseReference, type DockerName } from '../formats/transports.ts';
import { LayoutStore } from '../store/layout-store.ts';
import { noteSource, openRegistryImage, pushToRegistry } from './registry-options.ts';
import { copyImageToStore, storeImage } from '../store/store-image.ts';
import { cachedLayerIndex, type IndexCache } from '../store/layer-cache.ts';
import type { IndexSource } from '../fs/layer-stack.ts';

export interface OpenOptions {
  /** `os/arch[/variant]`; default the host's, else the only one. */
  platform?: string;
}

/** The local store's directory: $LAYERKIT_HOME, else ~/.local/share/layerkit. */
export function storeRoot(): string {
  const configured = host().env('LAYERKIT_HOME');
  if (configured) return configured;
  const home = host().env('HOME');
  if (!home) throw new LayerkitError('NO_STORE', 'neither LAYERKIT_HOME nor HOME is set', { hint: 'set LAYERKIT_HOME to a directory for the local store' });
  return `${host().env('XDG_DATA_HOME') || `${home}/.local/share`}/layerkit`;
}

export const openStore = (create = true) => LayoutStore.open(storeRoot(), { create });

/** The store for a read: a missing store is "no such image", and a read never creates it. */
async function openStoreForReading(text: string): Promise<LayoutStore> {
  return openStore(false).catch((error: unknown) => {
    if ((error as { code?: string })?.code !== 'LAYOUT_INVALID') throw error;
    throw new LayerkitError('IMAGE_NOT_FOUND', `no image named ${text} in the local store (${storeRoot()} holds no store yet)`, {
      hint: '`layerkit copy SRC NAME` puts an image there', cause: error,
    });
  });
}

/**
 * Layer indexes through the store's cache (LayerIndex by diffID, store/layer-cache.ts), for every
 * command that reads an image's tree — whatever transport the image came from, since the key is
 * the diffID and an entry is written only after the layer's digest and diffID verified. A second
 * look reads no layer. The store is created with the first entry; a store that cannot be read or
 * written leaves the command working, just uncached. Undefined when there is no store location.
 */
export function cachedIndexes(): IndexSource | undefined {
  let root: string;
  try {
    root = storeRoot();
  } catch {
    return undefined;
  }
  let reading: Promise<LayoutStore | undefined> | undefined;
  let writing: Promise<LayoutStore | undefined> | undefined;
  const cache: IndexCache = {
    getCache: async (kind, diffID) => (await (reading ??= LayoutStore.open(root, { create: false }).catch(() => undefined)))?.getCache(kind, diffID),
    putCache: async (kind, diffID, bytes) => (await (writing ??= LayoutStore.open(root).catch(() => undefined)))?.putCache(kind, diffID, bytes),
  };
  return async (layer, { sha256 }) => (await cachedLayerIndex(cache, layer, { sha256Files: sha256 })).index;
}

export function thisPlatform(): Platform {
  return hostPlatform(process.platform, process.arch);
}

function platformOptions(options: OpenOptions): { platform?: Platform; host: Platform } {
  return { ...(options.platform ? { platform: parsePlatform(options.platform) } : {}), host: thisPlatform() };
}

/** Wraps "no such file" into an error that names the reference. */
async function guard<T>(text: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as { code?: string })?.code;
    if (code === 'ENOENT') throw new LayerkitError('IMAGE_NOT_FOUND', `${text}: no such file or directory`, { cause: error });
    if (code === 'ENOTDIR' || code === 'EISDIR') throw new LayerkitError('IMAGE_NOT_FOUND', `${text}: wrong kind of file (${code})`, { cause: error });
    throw error;
  }
}

export async function openImage(text: string, options: OpenOptions = {}): Promise<Image> {
  noteSource(text, options);
  const ref = parseReference(text);
  const resolveOptions = platformOptions(options);
  return guard(text, async () => {
    switch (ref.transport) {
      case 'store':
        return storeImage(await openStoreForReading(text), formatDockerName(ref.name), resolveOptions, text);
      case 'oci':
        return openOciLayout(directoryFiles(ref.path), ref.tag, resolveOptions);
      case 'oci-archive':
        return openOciLayout(await archiveFiles(ref.path), ref.tag, resolveOptions);
      case 'docker-archive':
        return openDockerArchive(await archiveFiles(ref.path), { ...(ref.name ? { name: ref.name } : {}), ...(ref.index !== undefined ? { index: ref.index } : {}) }, resolveOptions);
      case 'tar':
        return tarFileImage(ref.path, resolveOptions.platform ?? resolveOptions.host);
      case 'rootfs':
        return rootfsImage(ref.path, resolveOptions.platform ?? resolveOptions.host);
      case 'docker':
        return openRegistryImage(ref.name, resolveOptions, text, options);
    }
  });
}

export interface WriteOptions {
  /** More names for the same image (docker-archive and the store). */
  additionalTags?: string[];
  onLayer?: (digest: string, status: 'exists' | 'copied') => void;
}

/**
 * Streams `stream` to `path` through a temporary file renamed at the end, so `path` never names a
 * half-written archive. Not fsynced, as docker save and skopeo do not: an archive is an export
 * that is made again after a power cut, and the fsync cost ~1 s per 200 MiB here. The store,
 * which must survive one, syncs every blob (src/store/layout-store.ts).
 */
async function writeFileAtomically(path: string, stream: ReadableStream<Uint8Array>): Promise<void> {
  const temp = `${path}.layerkit-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.partial`;
  try {
    await stream.pipeTo(need('openWrite')(temp));
    await need('rename')(temp, path);
  } catch (error) {
    await need('remove')(temp).catch(() => {});
    throw error;
  }
}

/**
 * Decompresses a layer once into a file beside the destination (verifying digest and diffID on
 * the way), so the archive's tar header can carry the size without a second decompression.
 */
async function spoolToFile(layer: Layer, destination: string, spooled: string[]): Promise<SpooledLayer> {
  const { compression, stream } = await decompressedStream(await layer.compressed());
  await stream.cancel().catch(() => {});
  if (compression === 'none') return { size: layer.size, open: layer.uncompressed };
  const file = `${destination}.layerkit-${layer.diffID.slice(7, 19)}-${Math.random().toString(36).slice(2, 8)}.tar.partial`;
  spooled.push(file);
  await (await layer.uncompressed()).pipeTo(need('openWrite')(file));
  const { size } = await host().stat(file);
  return { size, open: async () => host().openRead(file) };
}

export async function writeImage(image: Image, text: string, options: WriteOptions = {}): Promise<void> {
  const ref = parseReference(text);
  const extra: DockerName[] = (options.additionalTags ?? []).map((t) => {
    const parsed = parseReference(t);
    if (parsed.transport !== 'store') throw new UsageError('BAD_REFERENCE', `--additional-tag ${t} must be NAME[:TAG]`);
    return parsed.name;
  });
  switch (ref.transport) {
    case 'store': {
      const store = await openStore();
      await copyImageToStore(image, store, [ref.name, ...extra].map(formatDockerName), options.onLayer);
      return;
    }
    case 'oci': {
      await need('mkdir')(ref.path, { recursive: true });
      const layout = await LayoutStore.open(ref.path, { naming: 'oci' });
      await copyImageToStore(await asOciImage(image), layout, [ref.tag ?? ''], options.onLayer);
      return;
    }
    case 'oci-archive':
      return writeFileAtomically(ref.path, writeOciArchive([{ image: await asOciImage(image), ...(ref.tag ? { tag: ref.tag } : {}) }]));
    case 'docker-archive': {
      if (ref.index !== undefined) throw new UsageError('BAD_REFERENCE', 'docker-archive:FILE:@N is for reading only');
      const spooled: string[] = [];
      try {
        return await writeFileAtomically(ref.path, writeDockerArchive([{ image, names: [...(ref.name ? [ref.name] : []), ...extra] }], (layer) => spoolToFile(layer, ref.path, spooled)));
      } finally {
        for (const file of spooled) await need('remove')(file).catch(() => {});
      }
    }
    case 'docker':
      return pushToRegistry(image, ref.name, options.onLayer, openImage);
    default:
      throw new UsageError('BAD_REFERENCE', `${ref.transport}: can only be read, not written`, { hint: 'write to oci:, oci-archive:, docker-archive: or a store NAME' });
  }
}

/** The image and the familiar names it goes by where it was found (store names, archive RepoTags). */
export async function openNamedImage(text: string, options: OpenOptions = {}): Promise<{ image: Image; names: string[] }> {
  const image = await openImage(text, options);
  const ref = parseReference(text);
  if (ref.transport === 'store') {
    const store = await openStore();
    const entry = (await store.listNames()).find((e) => e.name === formatDockerName(ref.name));
    const target = entry?.descriptor.digest;
    const names = (await store.listNames()).filter((e) => e.descriptor.digest === target).map((e) => familiarName(parseDockerName(e.name)));
    return { image, names };
  }
  if (ref.transport === 'docker-archive' && ref.name) return { image, names: [familiarName(ref.name)] };
  if (ref.transport === 'docker') return { image, names: [familiarName(ref.name)] };
  return { image, names: [] };
}
