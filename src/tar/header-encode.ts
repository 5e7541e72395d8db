/**
 * Tar header encoding as pure functions: one entry's metadata in, the header blocks out (a pax
 * extended header when some field does not fit ustar, then the ustar header). No state, no I/O.
 * The rules follow Go's archive/tar writer: ustar where every field fits (a long name split into
 * prefix/name when it can be), pax records for what does not (long or non-ASCII names, sizes and
 * ids beyond octal, negative or sub-second times, xattrs, caller-supplied records).
 *
 *   encodeHeaders({ name: 'etc/passwd', type: 'file', size: 12, mode: 0o644 }) // 512 bytes
 */
import { LayerkitError } from '../errors.ts';

/** Entry types as the tar entry JSON of docs/cli.md names them (the writable ones). */
export type TarWriteType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'contiguous';

/** One entry's metadata, mirroring the tar entry JSON of docs/cli.md. */
export interface TarHeaderFields {
  name: string;
  /** Exact name bytes as hex, for names that are not valid UTF-8 (wins over `name`). */
  nameHex?: string;
  type?: TarWriteType;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  mtime?: { sec: number; nsec: number };
  linkname?: string;
  /** Exact link-target bytes as hex, for targets that are not valid UTF-8 (wins over `linkname`). */
  linknameHex?: string;
  devmajor?: number;
  devminor?: number;
  /** `SCHILY.xattr.<key>` records; a string value `hex:<hex>` stands for raw bytes (docs/cli.md). */
  xattrs?: Record<string, string | Uint8Array>;
  /** Further pax records, written as given (path, size, mtime... take the fields' values; `xattrs` win over SCHILY.xattr.*). */
  pax?: Record<string, string | Uint8Array>;
}

export const BLOCK = 512;
/** Larger pax data is refused, as Go does and as our reader (hostile case 29) would. */
export const MAX_PAX_BYTES = 1 << 20;

const TYPEFLAG: Record<TarWriteType, number> = {
  file: 0x30, hardlink: 0x31, symlink: 0x32, char: 0x33, block: 0x34, dir: 0x35, fifo: 0x36, contiguous: 0x37,
};
const HAS_BODY = new Set<TarWriteType>(['file', 'contiguous']);
/** pax keys derived from the fields; a caller's record under one of these is replaced. */
const DERIVED_KEYS = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'uname', 'gname', 'mtime']);

const utf8 = new TextEncoder();

const invalid = (name: string, why: string, hint?: string) =>
  new LayerkitError('TAR_ENTRY_INVALID', `cannot write tar entry ${JSON.stringify(name)}: ${why}`, hint ? { hint } : {});

export function hasBody(type: TarWriteType): boolean {
  return HAS_BODY.has(type);
}

export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const isAscii = (b: Uint8Array) => b.every((c) => c < 0x80);

/** True when `value` fits a NUL-terminated octal field of `width` bytes (Go's fitsInOctal). */
export function fitsOctal(width: number, value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value < 8 ** (width - 1);
}

/** Writes `value` as zero-padded octal with a NUL terminator; 0 when it does not fit (Go does the same). */
export function putOctal(block: Uint8Array, offset: number, width: number, value: number): void {
  const digits = (fitsOctal(width, value) ? value : 0).toString(8).padStart(width - 1, '0');
  for (let i = 0; i < digits.length; i++) block[offset + i] = digits.charCodeAt(i);
  block[offset + width - 1] = 0;
}

/**
 * Copies at most `width` bytes; the field stays NUL-padded (the block starts zeroed). A truncated
 * value ending in `/` has that slash run cut (Go does this: some readers would take it for a directory).
 */
export function putBytes(block: Uint8Array, offset: number, width: number, bytes: Uint8Array): void {
  block.set(bytes.subarray(0, width), offset);
  if (bytes.length > width && bytes[width - 1] === 0x2f) {
    let n = width;
    while (n > 0 && bytes[n - 1] === 0x2f) n--;
    block[offset + n] = 0;
  }
}

/** Splits a long ASCII path into ustar prefix (≤ 155) and name (≤ 100) at a slash, as Go's splitUSTARPath. */
export function splitUstarPath(name: Uint8Array): { prefix: Uint8Array; name: Uint8Array } | undefined {
  if (name.length <= 100 || !isAscii(name)) return undefined;
  let length = name.length;
  if (length > 156) length = 156;
  else if (name[length - 1] === 0x2f) length--;
  const i = name.subarray(0, length).lastIndexOf(0x2f);
  const suffixLength = name.length - i - 1;
  if (i <= 0 || suffixLength > 100 || suffixLength === 0 || i > 155) return undefined;
  return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
}

/** One pax record, `"<len> <key>=<value>\n"`, where len counts the whole record (its own digits too). */
export function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const rest = utf8.encode(` ${key}=`);
  const unsized = rest.length + value.length + 1;
  let size = unsized + String(unsized).length;
  if (String(size).length + unsized !== size) size = String(size).length + unsized;
  const out = new Uint8Array(size);
  const digits = utf8.encode(String(size));
  out.set(digits, 0);
  out.set(rest, digits.length);
  out.set(value, digits.length + rest.length);
  out[size - 1] = 0x0a;
  return out;
}

/** `sec[.fraction]` with trailing zeros trimmed; negative times count down from the next second (Go's formatPAXTime). */
export function paxTime(sec: number, nsec: number): string {
  if (nsec === 0) return String(sec);
  if (sec < 0) return `-${-(sec + 1)}.${String(1e9 - nsec).padStart(9, '0')}`.replace(/0+$/, '');
  return `${sec}.${String(nsec).padStart(9, '0')}`.replace(/0+$/, '');
}

const compareBytes = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
};

function checkInteger(entry: string, field: string, value: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw invalid(entry, `${field} ${value} is not an integer in 0..${max}`);
  }
}

function nameBytes(text: string, hex: string | undefined, entry: string, field: string): Uint8Array {
  if (hex === undefined) return utf8.encode(text);
  const bytes = hexToBytes(hex);
  if (!bytes) throw invalid(entry, `${field}Hex is not hex`);
  return bytes;
}

function xattrValue(entry: string, key: string, value: string | Uint8Array): Uint8Array {
  if (typeof value !== 'string') return value;
  if (!value.startsWith('hex:')) return utf8.encode(value);
  const bytes = hexToBytes(value.slice(4));
  if (!bytes) throw invalid(entry, `xattr ${key} starts with "hex:" but is not hex`, 'docs/cli.md: non-UTF-8 values are written hex:<hex>');
  return bytes;
}

/** Normalised fields with defaults, validated; throws TAR_ENTRY_INVALID on anything unencodable. */
function normalise(e: TarHeaderFields) {
  const label = e.name;
  const type = e.type ?? 'file';
  if (!(type in TYPEFLAG)) throw invalid(label, `type "${type}" cannot be written`, `use one of ${Object.keys(TYPEFLAG).join(', ')}`);
  const name = nameBytes(e.name, e.nameHex, label, 'name');
  const linkname = nameBytes(e.linkname ?? '', e.linknameHex, label, 'linkname');
  if (name.length === 0) throw invalid(label, 'the name is empty');
  if (name.includes(0) || linkname.includes(0)) throw invalid(label, 'a name contains a NUL byte');
  if ((type === 'symlink' || type === 'hardlink') && linkname.length === 0) throw invalid(label, `a ${type} needs a linkname`);
  const size = e.size ?? 0;
  checkInteger(label, 'size', size);
  if (!hasBody(type) && size !== 0) throw invalid(label, `a ${type} entry has no content, but size is ${size}`);
  const mode = e.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644);
  checkInteger(label, 'mode', mode, 0o7777777);
  const [uid, gid] = [e.uid ?? 0, e.gid ?? 0];
  checkInteger(label, 'uid', uid);
  checkInteger(label, 'gid', gid);
  const [devmajor, devminor] = [e.devmajor ?? 0, e.devminor ?? 0];
  checkInteger(label, 'devmajor', devmajor, 0o7777777);
  checkInteger(label, 'devminor', devminor, 0o7777777);
  const mtime = e.mtime ?? { sec: 0, nsec: 0 };
  if (!Number.isSafeInteger(mtime.sec)) throw invalid(label, `mtime.sec ${mtime.sec} is not an integer`);
  if (!Number.isInteger(mtime.nsec) || mtime.nsec < 0 || mtime.nsec >= 1e9) throw invalid(label, `mtime.nsec ${mtime.nsec} is not in 0..999999999`);
  const [uname, gname] = [utf8.encode(e.uname ?? ''), utf8.encode(e.gname ?? '')];
  if (uname.includes(0) || gname.includes(0)) throw invalid(label, 'uname or gname contains a NUL byte');
  return { label, type, name, linkname, size, mode, uid, gid, devmajor, devminor, mtime, uname, gname };
}

type Fields = ReturnType<typeof normalise>;

/** The pax records an entry needs (empty when plain ustar holds everything). */
export function paxRecordsFor(e: TarHeaderFields): Map<string, Uint8Array> {
  return paxPlan(normalise(e)).records;
}

function paxPlan(f: Fields) {
  const records = new Map<string, Uint8Array>();
  const split = f.name.length > 100 ? splitUstarPath(f.name) : undefined;
  if (!isAscii(f.name) || (f.name.length > 100 && !split)) records.set('path', f.name);
  if (!isAscii(f.linkname) || f.linkname.length > 100) records.set('linkpath', f.linkname);
  if (!isAscii(f.uname) || f.uname.length > 32) records.set('uname', f.uname);
  if (!isAscii(f.gname) || f.gname.length > 32) records.set('gname', f.gname);
  for (const [key, value, width] of [['size', f.size, 12], ['uid', f.uid, 8], ['gid', f.gid, 8]] as const) {
    if (!fitsOctal(width, value)) records.set(key, utf8.encode(String(value)));
  }
  if (f.mtime.nsec !== 0 || !fitsOctal(12, f.mtime.sec)) records.set('mtime', utf8.encode(paxTime(f.mtime.sec, f.mtime.nsec)));
  return { records, split };
}

function callerRecords(e: TarHeaderFields, f: Fields, records: Map<string, Uint8Array>): void {
  for (const [key, value] of Object.entries(e.pax ?? {})) {
    if (key === '' || key.includes('=') || key.includes('\0')) throw invalid(f.label, `pax key ${JSON.stringify(key)} is not valid`);
    if (key.startsWith('GNU.sparse.')) throw invalid(f.label, `pax record ${key} describes a sparse file, which this writer does not produce`);
    if (DERIVED_KEYS.has(key)) {
      // Keep the caller's record (so a read entry writes back the same records) but with the field's value.
      if (!records.has(key)) records.set(key, derivedValue(key, f));
    } else records.set(key, typeof value === 'string' ? utf8.encode(value) : value);
  }
  for (const [key, value] of Object.entries(e.xattrs ?? {})) {
    if (key === '' || key.includes('=') || key.includes('\0')) throw invalid(f.label, `xattr name ${JSON.stringify(key)} is not valid`);
    records.set(`SCHILY.xattr.${key}`, xattrValue(f.label, key, value));
  }
}

function derivedValue(key: string, f: Fields): Uint8Array {
  switch (key) {
    case 'path': return f.name;
    case 'linkpath': return f.linkname;
    case 'uname': return f.uname;
    case 'gname': return f.gname;
    case 'mtime': return utf8.encode(paxTime(f.mtime.sec, f.mtime.nsec));
    default: return utf8.encode(String(f[key as 'size' | 'uid' | 'gid']));
  }
}

/** A 512-byte ustar header block with its checksum. Fields that do not fit are truncated or zeroed (pax carries them). */
export function ustarBlock(h: {
  name: Uint8Array; prefix?: Uint8Array; mode: number; uid: number; gid: number; size: number; mtime: number;
  typeflag: number; linkname: Uint8Array; uname: Uint8Array; gname: Uint8Array; devmajor?: number; devminor?: number;
}): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putBytes(b, 0, 100, h.name);
  putOctal(b, 100, 8, h.mode);
  putOctal(b, 108, 8, h.uid);
  putOctal(b, 116, 8, h.gid);
  putOctal(b, 124, 12, h.size);
  putOctal(b, 136, 12, h.mtime);
  b[156] = h.typeflag;
  putBytes(b, 157, 100, h.linkname);
  b.set(utf8.encode('ustar\u000000'), 257);
  putBytes(b, 265, 32, h.uname);
  putBytes(b, 297, 32, h.gname);
  // A pax header block leaves the device fields empty, as Go's writer does.
  if (h.devmajor !== undefined) putOctal(b, 329, 8, h.devmajor);
  if (h.devminor !== undefined) putOctal(b, 337, 8, h.devminor);
  if (h.prefix) putBytes(b, 345, 155, h.prefix);
  b.fill(0x20, 148, 156);
  const sum = b.reduce((s, x) => s + x, 0);
  putOctal(b, 148, 7, sum);
  b[155] = 0x20;
  return b;
}

const asciiOnly = (b: Uint8Array) => b.filter((c) => c > 0 && c < 0x80);

/** Go's name for the pax header entry: `dir/PaxHeaders.0/file`, ASCII only, at most 100 bytes. */
function paxHeaderName(name: Uint8Array): Uint8Array {
  let end = name.length;
  while (end > 1 && name[end - 1] === 0x2f) end--;
  const trimmed = name.subarray(0, end);
  const slash = trimmed.lastIndexOf(0x2f);
  const parts = [trimmed.subarray(0, slash + 1), utf8.encode('PaxHeaders.0/'), trimmed.subarray(slash + 1)];
  const ascii = parts.flatMap((p) => [...p]).filter((c) => c > 0 && c < 0x80).slice(0, 100);
  while (ascii.length > 0 && ascii[ascii.length - 1] === 0x2f) ascii.pop();
  return Uint8Array.from(ascii);
}

const padTo512 = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/** Every header block of one entry: `[pax header, pax data, padding]` when needed, then the ustar header. */
export function encodeHeaders(e: TarHeaderFields): Uint8Array {
  const f = normalise(e);
  const { records, split } = paxPlan(f);
  callerRecords(e, f, records);
  const typeflag = TYPEFLAG[f.type];
  const fixed = { mode: f.mode, uid: f.uid, gid: f.gid, size: f.size, mtime: f.mtime.sec, typeflag, devmajor: f.devmajor, devminor: f.devminor };
  if (records.size === 0) {
    return ustarBlock({ ...fixed, name: split?.name ?? f.name, prefix: split?.prefix, linkname: f.linkname, uname: f.uname, gname: f.gname });
  }
  // Once there is a pax header it carries the long name too, and the ustar fields keep an ASCII stand-in (as Go writes them).
  if (f.name.length > 100) records.set('path', f.name);
  const header = ustarBlock({ ...fixed, name: asciiOnly(f.name), linkname: asciiOnly(f.linkname), uname: asciiOnly(f.uname), gname: asciiOnly(f.gname) });
  const keys = [...records.keys()].map((k) => ({ k, b: utf8.encode(k) })).sort((x, y) => compareBytes(x.b, y.b));
  const data = keys.map(({ k }) => paxRecord(k, records.get(k)!));
  const length = data.reduce((n, r) => n + r.length, 0);
  if (length > MAX_PAX_BYTES) throw invalid(f.label, `its pax records take ${length} bytes, over the ${MAX_PAX_BYTES}-byte limit readers enforce`);
  const empty = new Uint8Array(0);
  const paxHeader = ustarBlock({
    name: paxHeaderName(f.name), mode: 0, uid: 0, gid: 0, size: length, mtime: 0, typeflag: 0x78,
    linkname: empty, uname: empty, gname: empty,
  });
  const out = new Uint8Array(BLOCK + length + padTo512(length) + BLOCK);
  out.set(paxHeader, 0);
  let at = BLOCK;
  for (const r of data) out.set(r, at), (at += r.length);
  out.set(header, out.length - BLOCK);
  return out;
}

/** Normalised type and size of an entry, for the stream that writes its body. */
export function bodyShape(e: TarHeaderFields): { type: TarWriteType; size: number } {
  const f = normalise(e);
  return { type: f.type, size: f.size };
}

export { padTo512 };
