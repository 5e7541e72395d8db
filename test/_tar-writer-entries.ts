/**
 * Random but reproducible tar entries for the writer's tests: names around the 100/155-byte
 * ustar limits, Unicode, every entry type, ids and times on both sides of the octal limits,
 * xattrs with binary values.
 *
 *   const entries = randomTarEntries(200, 1, { printableNames: true });
 */
import type { TarWriteEntry, TarWriteType } from '../src/tar/writer.ts';
import { randomBytes, randomInts } from './_setup.ts';

export interface RandomEntryOptions {
  /** Allow mtimes before 1970 (GNU tar mis-prints negative fractional times, so listings avoid them). */
  negativeTimes?: boolean;
  /** Allow ids ≥ 2^31 (beyond a 32-bit uid_t). */
  hugeIds?: boolean;
  /** Names without spaces or characters a listing escapes. */
  printableNames?: boolean;
}

const ASCII = 'abcdefghijklmnopqrstuvwxyz0123456789._-';
const UNICODE = ['é', 'ß', 'ü', '日本', 'Ω', '🙂', 'ñ'];
const TYPES: TarWriteType[] = ['file', 'file', 'file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo'];

export function randomTarEntries(count: number, seed: number, options: RandomEntryOptions = {}): TarWriteEntry[] {
  const next = randomInts(seed);
  const pick = <T>(xs: readonly T[]) => xs[next(xs.length)]!;
  const segment = () => {
    let s = '';
    for (let n = 1 + next(12); n > 0; n--) s += next(8) === 0 ? pick(UNICODE) : ASCII[next(ASCII.length)];
    return s;
  };
  const path = (target: number) => {
    const parts: string[] = [];
    while (parts.join('/').length < target) parts.push(segment());
    return parts.join('/');
  };
  const lengths = [5, 40, 98, 100, 101, 120, 150, 156, 200, 256, 300];
  const ids = [0, 1, 1000, 65534, 0o7777777, 0o7777777 + 1, 4_000_000, 2 ** 31 - 1, ...(options.hugeIds ? [2 ** 32 + 5, 2 ** 40] : [])];
  const files: string[] = [];
  const entries: TarWriteEntry[] = [];
  for (let i = 0; i < count; i++) {
    let type = pick(TYPES);
    if (type === 'hardlink' && files.length === 0) type = 'file';
    const name = `e${i}/${path(pick(lengths))}` + (type === 'dir' && next(2) ? '/' : '');
    const secs = [0, 1, 1_700_000_000 + next(1 << 20), 8 ** 11 - 1, 8 ** 11 + next(1000), ...(options.negativeTimes ? [-1, -86400 * 365 * 5] : [])];
    const entry: TarWriteEntry = {
      name, type,
      mode: pick([0o644, 0o755, 0o600, 0o4755, 0o2755, 0o1777, 0o777, 0o000, 0o7777]),
      uid: pick(ids), gid: pick(ids),
      uname: pick(['', 'root', 'u'.repeat(32), 'u'.repeat(33), 'ünïcode']),
      gname: pick(['', 'wheel', 'g'.repeat(40), 'grüppe']),
      mtime: { sec: pick(secs), nsec: next(3) === 0 ? 0 : next(1e9) },
    };
    if (type === 'file') {
      entry.body = randomBytes(pick([0, 1, 511, 512, 513, 3000]), i + 1);
      files.push(name);
    }
    if (type === 'symlink') entry.linkname = next(2) ? `/bin/${segment()}` : `../${path(pick(lengths))}`;
    if (type === 'hardlink') entry.linkname = pick(files);
    if (type === 'char' || type === 'block') Object.assign(entry, { devmajor: next(300), devminor: pick([0, 1, 255, 65535, 0o7777777]) });
    if (next(4) === 0) {
      entry.xattrs = { [`user.k${next(100)}`]: segment(), 'security.capability': `hex:${Array.from(randomBytes(20, i), (b) => b.toString(16).padStart(2, '0')).join('')}` };
    }
    if (next(10) === 0) entry.pax = { comment: segment() };
    entries.push(entry);
  }
  if (options.printableNames) for (const e of entries) if (/\s/.test(e.name)) throw new Error('unprintable name generated');
  return entries;
}

/** `ls -l` style mode string as GNU tar and bsdtar print it (h for a hard link). */
export function modeString(type: TarWriteType, mode: number): string {
  const kind = { file: '-', hardlink: 'h', symlink: 'l', char: 'c', block: 'b', dir: 'd', fifo: 'p', contiguous: 'C' }[type];
  const rwx = (bits: number, special: boolean, letter: string) =>
    (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (special ? (bits & 1 ? letter : letter.toUpperCase()) : bits & 1 ? 'x' : '-');
  return kind + rwx(mode >> 6, (mode & 0o4000) !== 0, 's') + rwx(mode >> 3, (mode & 0o2000) !== 0, 's') + rwx(mode, (mode & 0o1000) !== 0, 't');
}
