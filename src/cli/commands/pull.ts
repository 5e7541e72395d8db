/** `layerkit pull docker://…`: an image from a registry into the local store, as `docker pull` does it. */
import { UsageError } from '../../errors.ts';
import { formatDockerName, familiarName, parseReference } from '../../formats/transports.ts';
import { parsePlatform } from '../../image/platform.ts';
import { pullImage } from '../../registry/pull.ts';
import { writeLine } from '../output.ts';
import { progressRenderer } from '../progress.ts';
import { concurrency, registryClient, type RegistryCliOptions, toDockerReference } from '../registry-options.ts';
import { openStore, thisPlatform } from '../resolve.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface PullOptions extends GlobalOptions, RegistryCliOptions {
  platform?: string;
  all?: boolean;
  progress?: string;
  quiet?: boolean;
}

export async function run(source: string, options: PullOptions): Promise<void> {
  const text = source.startsWith('docker://') ? source : `docker://${source}`;
  const ref = parseReference(text);
  if (ref.transport !== 'docker') throw new UsageError('BAD_REFERENCE', `${source} is not a registry reference`, { hint: 'pull docker://HOST/REPO[:TAG]' });
  await prepare(options);
  const name = ref.name;
  const reference = toDockerReference(name);
  const client = registryClient(name.domain, options);
  const progress = progressRenderer(options);
  progress.message(`${name.tag ?? name.digest}: Pulling from ${name.path}`);
  const store = await openStore();
  const result = await pullImage(client, reference, store, {
    ...(options.platform ? { platform: parsePlatform(options.platform) } : {}),
    host: thisPlatform(),
    all: options.all === true,
    concurrency: concurrency(options),
    onProgress: progress.listener,
    names: [formatDockerName(name)],
  });
  progress.finish();
  const shown = familiarName(name);
  progress.message(`Digest: ${result.digest}`);
  progress.message(result.downloaded ? `Status: Downloaded newer image for ${shown}` : `Status: Image is up to date for ${shown}`);
  if (progress.mode !== 'json') writeLine(formatDockerName(name));
}
