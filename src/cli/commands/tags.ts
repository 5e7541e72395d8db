/** `layerkit tags docker://HOST/REPO`: the repository's tags, every page of them. */
import { UsageError } from '../../errors.ts';
import { parseReference } from '../../formats/transports.ts';
import { writeJson, writeLine } from '../output.ts';
import { registryClient, type RegistryCliOptions } from '../registry-options.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface TagsOptions extends GlobalOptions, RegistryCliOptions {
  json?: boolean;
}

export async function run(repository: string, options: TagsOptions): Promise<void> {
  const ref = parseReference(repository.startsWith('docker://') ? repository : `docker://${repository}`);
  if (ref.transport !== 'docker') throw new UsageError('BAD_REFERENCE', `${repository} is not a registry repository`, { hint: 'tags docker://HOST/REPO' });
  await prepare(options);
  const tags = await registryClient(ref.name.domain, options).tags(ref.name.path);
  if (options.json) writeJson(tags);
  else for (const tag of tags) writeLine(tag);
}
