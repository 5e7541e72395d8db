/** `layerkit push SRC docker://…`: an image (or with --all, every image of an index) to a registry, as `docker push` does it. */
import { UsageError } from '../../errors.ts';
import { familiarRepository, parseReference } from '../../formats/transports.ts';
import { formatPlatform } from '../../image/platform.ts';
import type { Descriptor } from '../../image/types.ts';
import { checkManifest } from '../../registry/manifest.ts';
import { pushImage, pushIndex } from '../../registry/push.ts';
import { progressRenderer } from '../progress.ts';
import { concurrency, registryClient, type RegistryCliOptions, toDockerReference } from '../registry-options.ts';
import { openImage } from '../resolve.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface PushOptions extends GlobalOptions, RegistryCliOptions {
  platform?: string;
  all?: boolean;
  mountFrom?: string | string[];
  chunkSize?: number | string;
  progress?: string;
  quiet?: boolean;
}

export async function run(source: string, destination: string, options: PushOptions): Promise<void> {
  const ref = parseReference(destination.startsWith('docker://') ? destination : `docker://${destination}`);
  if (ref.transport !== 'docker') throw new UsageError('BAD_REFERENCE', `${destination} is not a registry reference`, { hint: 'push SRC docker://HOST/REPO[:TAG]' });
  await prepare(options);
  const client = registryClient(ref.name.domain, options);
  const reference = toDockerReference(ref.name);
  const progress = progressRenderer(options);
  const chunkSize = options.chunkSize === undefined ? undefined : Number(options.chunkSize);
  if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0)) throw new UsageError('BAD_OPTION', '--chunk-size must be a positive number of bytes');
  const pushOptions = {
    concurrency: concurrency(options),
    onProgress: progress.listener,
    mountFrom: [options.mountFrom ?? []].flat().map(String),
    ...(chunkSize ? { chunkSize } : {}),
  };
  progress.message(`The push refers to repository [${familiarRepository(ref.name)}]`);
  const image = await openImage(source, options);
  const indexBytes = options.all ? await image.rawIndex?.() : undefined;
  let result;
  if (indexBytes) {
    const doc = checkManifest(indexBytes, null, source);
    if (doc.kind !== 'index') throw new UsageError('NO_INDEX', `${source} is not an index`);
    const manifests = doc.index.manifests.filter((d) => d.platform?.os !== 'unknown');
    result = await pushIndex(client, reference, { bytes: indexBytes, mediaType: doc.mediaType, manifests }, (d: Descriptor) =>
      openImage(source, { platform: formatPlatform(d.platform!) }), pushOptions);
  } else {
    result = await pushImage(client, reference, image, pushOptions);
  }
  progress.finish();
  progress.message(`${ref.name.tag ?? ref.name.digest}: digest: ${result.digest} size: ${result.size}`);
}
