/**
 * The tar entry JSON of docs/cli.md, from a resolved header: names as recorded (`nameHex` when not
 * UTF-8), mode as permission bits, `xattrs` without the SCHILY.xattr. prefix, `pax` the other
 * records, values that are not UTF-8 written `hex:<hex>`.
 *
 *   tarEntryJson(index.header(i), index.sha256(i)) // { name: 'etc/', type: 'dir', … }
 */
import { toHex } from '../digest/digest.ts';
import type { TarHeader, TarEntryType, TarTime } from '../core/tar-types.ts';

export interface TarEntryJson {
  name: string;
  nameHex?: string;
  type: TarEntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: TarTime;
  atime?: TarTime;
  ctime?: TarTime;
  linkname: string;
  linknameHex?: string;
  devmajor: number;
  devminor: number;
  xattrs?: Record<string, string>;
  pax?: Record<string, string>;
  sha256?: string;
}

const strict = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder();

/** The bytes as text when they are valid UTF-8, else undefined. */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Text for a value: itself when valid UTF-8, else `hex:<hex>`. */
export function textOrHex(bytes: Uint8Array): string {
  return utf8OrUndefined(bytes) ?? `hex:${toHex(bytes)}`;
}

export function tarEntryJson(header: TarHeader, sha256?: Uint8Array): TarEntryJson {
  const json: TarEntryJson = {
    name: lossy.decode(header.nameBytes), type: header.type, size: header.size, mode: header.mode & 0o7777,
    uid: header.uid, gid: header.gid, uname: header.uname, gname: header.gname, mtime: header.mtime,
    linkname: lossy.decode(header.linknameBytes), devmajor: header.devmajor, devminor: header.devminor,
  };
  if (utf8OrUndefined(header.nameBytes) === undefined) json.nameHex = toHex(header.nameBytes);
  if (utf8OrUndefined(header.linknameBytes) === undefined) json.linknameHex = toHex(header.linknameBytes);
  if (header.atime) json.atime = header.atime;
  if (header.ctime) json.ctime = header.ctime;
  if (header.xattrs.size > 0) json.xattrs = Object.fromEntries([...header.xattrs].map(([k, v]) => [k, textOrHex(v)]));
  const other = [...header.pax].filter(([k, v]) => !(k.startsWith('SCHILY.xattr.') && v.length > 0));
  if (other.length > 0) json.pax = Object.fromEntries(other.map(([k, v]) => [k, textOrHex(v)]));
  if (sha256) json.sha256 = toHex(sha256);
  return json;
}
