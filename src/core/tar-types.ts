/**
 * What a tar reader reports for one entry: the header as Go's archive/tar resolves it (pax and GNU
 * long names applied, V7 `\0` typeflag turned into file or dir), with raw bytes kept where text
 * could be lossy (non-UTF-8 names, binary xattrs).
 *
 *   for await (const entry of new TarReader(stream)) console.log(entry.type, entry.name, entry.size);
 */

/** Entry types as the tar entry JSON of docs/cli.md names them. */
export type TarEntryType =
  | 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'contiguous' | 'gnu-sparse'
  | 'pax-global' | 'other';

/** A point in time as tar stores it: whole seconds (floored for negative times) and nanoseconds. */
export interface TarTime {
  sec: number;
  nsec: number;
}

/** One region of a sparse file's content that is stored in the archive; the rest reads as zeros. */
export interface SparseRegion {
  offset: number;
  length: number;
}

/** A resolved tar header. Numbers are JavaScript numbers (exact up to 2^53). */
export interface TarHeader {
  /** The recorded name after pax `path` / GNU `L` resolution, decoded as UTF-8 (lossy for bad bytes). */
  name: string;
  /** The exact name bytes. */
  nameBytes: Uint8Array;
  /** The recorded link target after pax `linkpath` / GNU `K` resolution ('' when none). */
  linkname: string;
  linknameBytes: Uint8Array;
  /** The type byte as Go reports it ('0' for a V7 `\0` file, '5' for a V7 `\0` name ending in '/'). */
  typeflag: number;
  type: TarEntryType;
  /** Logical size: for sparse files the expanded size, for header-only types the recorded size. */
  size: number;
  /** The header's whole mode field (permission bits and any type bits the writer put there). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: TarTime;
  /** Present when a pax record or a GNU header carried it. */
  atime?: TarTime;
  ctime?: TarTime;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.*` records with a non-empty value, without the prefix, as raw bytes. */
  xattrs: Map<string, Uint8Array>;
  /** Every pax record that applied to this entry (Go's `PAXRecords`): key → raw value bytes. */
  pax: Map<string, Uint8Array>;
  /** Offset of the first data byte in the uncompressed stream (after any sparse map blocks). */
  dataOffset: number;
  /** Bytes the entry occupies in the archive after its header(s), without padding. */
  physicalSize: number;
  /** For GNU sparse entries: the stored regions of the logical content. */
  sparse?: SparseRegion[];
}

/** Does an entry of this typeflag carry content bytes (Go reads data for every type but these)? */
export function carriesData(typeflag: number): boolean {
  // '1'..'6' are header-only in Go (link, symlink, char, block, dir, fifo); 'g' is a pax global header.
  return !(typeflag >= 0x31 && typeflag <= 0x36) && typeflag !== 0x67;
}

/** The type name of a typeflag byte (after Go's V7 fix-up). */
export function typeName(typeflag: number): TarEntryType {
  switch (typeflag) {
    case 0x30: return 'file';
    case 0x31: return 'hardlink';
    case 0x32: return 'symlink';
    case 0x33: return 'char';
    case 0x34: return 'block';
    case 0x35: return 'dir';
    case 0x36: return 'fifo';
    case 0x37: return 'contiguous';
    case 0x53: return 'gnu-sparse';
    case 0x67: return 'pax-global';
    default: return 'other';
  }
}
