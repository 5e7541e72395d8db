/** `layerkit images`: the images in the local store, docker's table or JSON. */
import { LayerkitError } from '../../errors.ts';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseConfig, parseManifestOrIndex } from '../../image/documents.ts';
import { formatTable, humanAgo, humanSize } from '../../image/describe.ts';
import { familiarName, familiarRepository, parseDockerName } from '../../formats/transports.ts';
import { openStore } from '../resolve.ts';
import { writeJson, writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface ImagesOptions extends GlobalOptions {
  json?: boolean;
  noTrunc?: boolean;
  trunc?: boolean;
}

export async function run(options: ImagesOptions): Promise<void> {
  await prepare(options);
  const store = await openStore();
  const rows = [];
  for (const entry of await store.listNames()) {
    const name = parseDockerName(entry.name);
    const doc = parseManifestOrIndex(await store.readBlob(entry.descriptor.digest, MAX_MANIFEST_BYTES), entry.descriptor.mediaType);
    if (doc.kind !== 'manifest') throw new LayerkitError('DOCUMENT_INVALID', `${familiarName(name)} points at an index; only manifests are stored by copy`);
    const config = parseConfig(await store.readBlob(doc.manifest.config.digest, MAX_CONFIG_BYTES));
    rows.push({
      repository: familiarRepository(name),
      tag: name.tag ?? '<none>',
      id: doc.manifest.config.digest,
      digest: entry.descriptor.digest,
      created: config.created ?? '',
      size: doc.manifest.layers.reduce((n, l) => n + l.size, 0),
    });
  }
  if (options.json) return writeJson(rows);
  const full = options.noTrunc === true || options.trunc === false;
  writeLine(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows.map((r) => [
    r.repository, r.tag, full ? r.id : r.id.replace(/^sha256:/, '').slice(0, 12), humanAgo(r.created), humanSize(r.size),
  ])));
}
