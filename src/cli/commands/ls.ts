/** `layerkit ls IMAGE [PATH]`: the union view (whiteouts applied), or one layer's own entries with `--layer N`. */
import type { FsEntry } from '../../fs/union-fs.ts';
import { UnionFS } from '../../fs/union-fs.ts';
import { UsageError } from '../../errors.ts';
import { cachedIndexes, openImage } from '../resolve.ts';
import { writeJson, writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface LsOptions extends GlobalOptions {
  R?: boolean;
  recursive?: boolean;
  layer?: string | number;
  sha256?: boolean;
  json?: boolean;
  platform?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** An xattr value as docs/cli.md writes it: UTF-8 text, else `hex:<hex>`. */
function xattrText(value: Uint8Array): string {
  try {
    return utf8.decode(value);
  } catch {
    return `hex:${hex(value)}`;
  }
}

/** The `ls --json` object of docs/cli.md (plus `hardlink`: the smallest path sharing the file). */
export function lsJson(e: FsEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, mtime: e.mtime };
  if (e.linkname !== undefined) out.linkname = e.linkname;
  if (e.devmajor !== undefined) { out.devmajor = e.devmajor; out.devminor = e.devminor; }
  if (e.xattrs) out.xattrs = Object.fromEntries([...e.xattrs].map(([k, v]) => [k, xattrText(v)]));
  if (e.sha256 !== undefined) out.sha256 = e.sha256;
  out.layer = e.layer;
  if (e.hardlink !== undefined && e.hardlink !== e.path) out.hardlink = e.hardlink;
  return out;
}

const TYPE_CHAR: Record<string, string> = { file: '-', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', other: '?' };

function modeString(e: FsEntry): string {
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (e.mode & (0o400 >> i) ? c : '-'));
  if (e.mode & 0o4000) bits[2] = bits[2] === 'x' ? 's' : 'S';
  if (e.mode & 0o2000) bits[5] = bits[5] === 'x' ? 's' : 'S';
  if (e.mode & 0o1000) bits[8] = bits[8] === 'x' ? 't' : 'T';
  return TYPE_CHAR[e.type] + bits.join('');
}

function textLine(e: FsEntry, sha256: boolean): string {
  const when = new Date(e.mtime.sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const size = e.type === 'char' || e.type === 'block' ? `${e.devmajor}, ${e.devminor}` : String(e.size);
  const target = e.linkname !== undefined ? ` -> ${e.linkname}` : e.hardlink && e.hardlink !== e.path ? ` link to ${e.hardlink}` : '';
  const digest = sha256 ? `${e.sha256 ?? '-'.repeat(64)} ` : '';
  return `${modeString(e)} ${`${e.uid}/${e.gid}`.padStart(9)} ${size.padStart(10)} ${when} L${e.layer} ${digest}${e.path}${target}`;
}

export async function run(reference: string, path: string | undefined, options: LsOptions): Promise<void> {
  let layer: number | undefined;
  if (options.layer !== undefined) {
    layer = Number(options.layer);
    if (!Number.isInteger(layer) || layer < 0) throw new UsageError('BAD_OPTION', `--layer ${options.layer}: not a layer number`, { hint: 'layers are numbered from 0, bottom first' });
  }
  await prepare(options);
  // With a PATH, layers below the first one (from the top) that hides everything lower there are not read.
  const only = layer === undefined && path !== undefined ? { under: path } : {};
  const fs = await UnionFS.open(await openImage(reference, options), { ...(layer !== undefined ? { layer } : {}), ...only, sha256: options.sha256 === true, indexOf: cachedIndexes() });
  const print = (e: FsEntry) => (options.json ? writeJson(lsJson(e)) : writeLine(textLine(e, options.sha256 === true)));
  const target = path ?? '';
  const recursive = options.R === true || options.recursive === true;
  const top = fs.lookup(target);
  if (top === -1) fs.stat(target); // throws the not-found error
  if (recursive) {
    for (const entry of fs.walk(target)) print(entry);
  } else if (top !== -2 && fs.union.type(top) !== 'dir') {
    print(fs.entry(top));
  } else {
    for (const child of fs.union.children(top === -2 ? -1 : top)) print(fs.entry(child));
  }
}
