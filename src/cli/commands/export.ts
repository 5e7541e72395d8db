/** `layerkit export IMAGE [-o FILE]`: the union view as one flattened tar (docker export), to FILE or stdout. */
import { exportTar } from '../../fs/export.ts';
import { UnionFS } from '../../fs/union-fs.ts';
import { need } from '../../host.ts';
import { cachedIndexes, openImage } from '../resolve.ts';
import { prepare, type GlobalOptions } from '../setup.ts';
import { writeStdout } from './cat.ts';

interface ExportOptions extends GlobalOptions {
  o?: string;
  output?: string;
  platform?: string;
}

export async function run(reference: string, options: ExportOptions): Promise<void> {
  await prepare(options);
    // With a cached index, file digests come with it so every body read now is checked against them.
  const indexOf = cachedIndexes();
  const fs = await UnionFS.open(await openImage(reference, options), { indexOf, sha256: indexOf !== undefined });
  const tar = exportTar(fs);
  const file = options.output ?? options.o;
  if (file) {
    const tmp = `${file}.partial-${Date.now()}`;
    await tar.pipeTo(need('openWrite')(tmp));
    await need('rename')(tmp, file);
  } else {
    const reader = tar.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await writeStdout(value);
    }
  }
  await fs.close();
}
