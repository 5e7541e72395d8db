/**
 * `layerkit tar ls FILE`: the entries of a tar (gzip/zstd/none by magic), one JSON object per line
 * with --json (docs/cli.md *tar entry*), else lines like `tar -tv`. On a broken archive the entries
 * read so far are printed, then the error (exit 1).
 *
 *   layerkit tar ls layer.tar.gz --json --sha256
 */
import { indexLayer, partialIndex } from '../../tar/index-layer.ts';
import { tarEntryJson } from '../../tar/entry-json.ts';
import type { LayerIndex } from '../../core/layer-index.ts';
import { UsageError } from '../../errors.ts';
import { fileError, openFile } from '../files.ts';
import { host, type RandomAccessFile } from '../../host.ts';
import { detectCompression } from '../../compress/detect.ts';
import { indexTarFile } from '../../tar/index-file.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface TarLsOptions extends GlobalOptions {
  json?: boolean;
  sha256?: boolean;
}

const BATCH = 512;

export async function run(action: string, file: string, options: TarLsOptions): Promise<void> {
  if (action !== 'ls') throw new UsageError('BAD_COMMAND', `unknown tar action "${action}"`, { hint: 'use `layerkit tar ls FILE`' });
  await prepare(options);
  let index: LayerIndex;
  let failure: unknown;
  try {
    index = (!options.sha256 && (await indexBySeeking(file))) || (await indexLayer(await openFile(file), { sha256Files: options.sha256 === true })).index;
  } catch (error) {
    const partial = partialIndex(error);
    if (!partial) throw error;
    index = partial;
    failure = error;
  }
  printEntries(index, options);
  index.free();
  if (failure) throw failure;
}

/**
 * An uncompressed tar in a regular file is listed from its headers alone, jumping over contents
 * (bsdtar -t does the same); anything else — compressed, a pipe, a host without positioned reads,
 * or `--sha256`, which needs every byte — goes through the one-pass stream index.
 */
async function indexBySeeking(path: string): Promise<LayerIndex | undefined> {
  const info = await host().stat(path).catch(() => undefined);
  const openRandomAccess = host().openRandomAccess;
  if (!info?.isFile || !openRandomAccess) return undefined;
  let file: RandomAccessFile;
  try {
    file = openRandomAccess(path);
  } catch (error) {
    throw fileError(path, error);
  }
  try {
    const head = new Uint8Array(4);
    file.read(head, 0);
    return detectCompression(head) === 'none' ? indexTarFile(file) : undefined;
  } finally {
    file.close();
  }
}

function printEntries(index: LayerIndex, options: TarLsOptions): void {
  let lines: string[] = [];
  for (let i = 0; i < index.count; i++) {
    if (options.json) lines.push(JSON.stringify(tarEntryJson(index.header(i), options.sha256 ? index.sha256(i) : undefined)));
    else lines.push(listingLine(index, i, options.sha256 === true));
    if (lines.length === BATCH) {
      process.stdout.write(lines.join('\n') + '\n');
      lines = [];
    }
  }
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
}

const TYPE_CHAR: Record<string, string> = {
  file: '-', hardlink: 'h', symlink: 'l', char: 'c', block: 'b', dir: 'd', fifo: 'p', contiguous: 'C', 'gnu-sparse': 'S', 'pax-global': 'g', other: '?',
};

/** The nine rwx characters of every permission value (with setuid, setgid and sticky), made once. */
const PERMISSIONS = Array.from({ length: 0o10000 }, (_, mode) => {
  const bits = 'rwxrwxrwx'.split('').map((c, k) => ((mode >> (8 - k)) & 1 ? c : '-'));
  if (mode & 0o4000) bits[2] = bits[2] === 'x' ? 's' : 'S';
  if (mode & 0o2000) bits[5] = bits[5] === 'x' ? 's' : 'S';
  if (mode & 0o1000) bits[8] = bits[8] === 'x' ? 't' : 'T';
  return bits.join('');
});

/** `YYYY-MM-DD hh:mm` in UTC; layers repeat the same few times, so the last one is kept. */
let lastMinute = NaN;
let lastDate = '';
function minuteText(sec: number): string {
  const minute = Math.floor(sec / 60);
  if (minute !== lastMinute) {
    const when = new Date(sec * 1000);
    lastMinute = minute;
    lastDate = Number.isNaN(when.getTime()) ? String(sec) : when.toISOString().slice(0, 16).replace('T', ' ');
  }
  return lastDate;
}

/** Names print as GNU tar shows them: control characters, quotes and backslashes escaped. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f]/;
const shown = (name: string) => (NEEDS_ESCAPE.test(name) ? JSON.stringify(name).slice(1, -1) : name);

/** User and group names decoded once per distinct name (the index is finished: ids are stable). */
const names = new WeakMap<LayerIndex, Map<number, string>>();
function ownerName(index: LayerIndex, i: number, which: 'uname' | 'gname'): string {
  const id = index.nameId(i, which);
  if (id < 0) return which === 'uname' ? index.uname(i) : index.gname(i);
  let known = names.get(index);
  if (!known) names.set(index, (known = new Map()));
  let name = known.get(id);
  if (name === undefined) known.set(id, (name = which === 'uname' ? index.uname(i) : index.gname(i)));
  return name;
}

/** `drwxr-xr-x root/root         0 2023-11-14 22:13 name` as GNU tar -tv prints it (times in UTC). */
function listingLine(index: LayerIndex, i: number, sha256: boolean): string {
  const type = index.type(i);
  const owner = `${ownerName(index, i, 'uname') || index.uid(i)}/${ownerName(index, i, 'gname') || index.gid(i)}`;
  const size = type === 'char' || type === 'block' ? `${index.devmajor(i)},${index.devminor(i)}` : String(index.size(i));
  let name = shown(index.path(i));
  if (type === 'symlink') name += ` -> ${index.linkname(i)}`;
  if (type === 'hardlink') name += ` link to ${index.linkname(i)}`;
  const digest = sha256 ? index.sha256(i) : undefined;
  const hex = digest ? ' ' + Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') : '';
  return `${TYPE_CHAR[type]}${PERMISSIONS[index.mode(i) & 0o7777]} ${owner} ${size.padStart(Math.max(1, 18 - owner.length))} ${minuteText(index.mtimeSec(i))} ${name}${hex}`;
}
