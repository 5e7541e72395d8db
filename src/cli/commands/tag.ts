/** `layerkit tag SRC NAME[:TAG]`: another name in the local store for an image already there. */
import { UsageError } from '../../errors.ts';
import { formatDockerName, parseReference } from '../../formats/transports.ts';
import { findEntry } from '../../store/store-image.ts';
import { openStore } from '../resolve.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

export async function run(source: string, target: string, options: GlobalOptions): Promise<void> {
  await prepare(options);
  const from = parseReference(source);
  const to = parseReference(target);
  if (from.transport !== 'store' || to.transport !== 'store') {
    throw new UsageError('BAD_REFERENCE', 'tag works on local store names', { hint: 'use `layerkit copy SRC NAME` to bring an image into the store' });
  }
  const store = await openStore();
  const entry = await findEntry(store, formatDockerName(from.name), source);
  await store.setName(formatDockerName(to.name), entry.descriptor);
}
