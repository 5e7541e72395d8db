/** `layerkit history IMAGE`: docker's history table, newest first; `<missing>` where no image ID exists. */
import { ellipsis, formatTable, humanAgo, humanSize, imageHistory } from '../../image/describe.ts';
import { openImage } from '../resolve.ts';
import { writeJson, writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface HistoryOptions extends GlobalOptions {
  noTrunc?: boolean;
  trunc?: boolean;
  json?: boolean;
  platform?: string;
}

export async function run(reference: string, options: HistoryOptions): Promise<void> {
  await prepare(options);
  const rows = await imageHistory(await openImage(reference, options));
  if (options.json) return writeJson(rows);
  const full = options.noTrunc === true || options.trunc === false;
  const table = rows.map((r) => [
    r.id === '<missing>' || full ? r.id : r.id.replace(/^sha256:/, '').slice(0, 12),
    humanAgo(r.created),
    full ? r.createdBy.replaceAll('\t', ' ') : ellipsis(r.createdBy.replaceAll('\t', ' '), 45),
    humanSize(r.size),
    r.comment,
  ]);
  writeLine(formatTable(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], table));
}
