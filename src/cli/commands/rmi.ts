/** `layerkit rmi NAME[:TAG]...`: removes names from the local store; `gc` frees the blobs. */
import { LayerkitError, UsageError } from '../../errors.ts';
import { familiarName, formatDockerName, parseReference } from '../../formats/transports.ts';
import { collectGarbage } from '../../store/gc.ts';
import { openStore } from '../resolve.ts';
import { writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

export async function run(names: string[], options: GlobalOptions & { prune?: boolean }): Promise<void> {
  await prepare(options);
  const store = await openStore();
  for (const text of names) {
    const ref = parseReference(text);
    if (ref.transport !== 'store') throw new UsageError('BAD_REFERENCE', `${text} is not a local store name`);
    if (!(await store.deleteName(formatDockerName(ref.name)))) {
      throw new LayerkitError('IMAGE_NOT_FOUND', `no image named ${familiarName(ref.name)} in the local store`, { hint: 'see `layerkit images`' });
    }
    writeLine(`Untagged: ${familiarName(ref.name)}`);
  }
  if (options.prune !== false) {
    for (const digest of (await collectGarbage(store)).removed) writeLine(`Deleted: ${digest}`);
  }
}
