/**
 * A plain TypeScript tar reader for tests: a direct, slow, obviously-structured port of Go's
 * archive/tar Reader.Next (go1.19 reader.go, strconv.go, format.go) over a whole Uint8Array,
 * reading every entry's data as Go's golist does. The WASM kernel must agree with it on any input,
 * including the fuzzer's mutants: same entries before an error, same error entry and phase.
 *
 *   const { entries, error } = referenceRead(bytes); // error: { index, phase } | null
 */

export interface RefEntry {
  name: Uint8Array;
  linkname: Uint8Array;
  typeflag: number;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: Uint8Array;
  gname: Uint8Array;
  mtime: { sec: number; nsec: number };
  devmajor: number;
  devminor: number;
  pax: Map<string, Uint8Array>;
  /** Logical content bytes read (sparse expanded), for entries that carry data. */
  contentLength?: number;
}

export interface RefResult {
  entries: RefEntry[];
  error: { index: number; phase: 'header' | 'data' } | null;
}

class HeaderError extends Error {}
class EofError extends Error {} // clean end of the archive

const latin1 = (b: Uint8Array) => {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
};
const MAX_INT64 = (1n << 63n) - 1n;

/** Go's parser: parseString cuts at NUL; parseNumeric is base-256 or octal. Throws HeaderError. */
function cstr(b: Uint8Array): Uint8Array {
  const i = b.indexOf(0);
  return i < 0 ? b : b.subarray(0, i);
}

function parseOctal(field: Uint8Array): bigint {
  let s = latin1(field);
  s = s.replace(/^[ \0]+|[ \0]+$/g, '');
  if (s === '') return 0n;
  s = s.split('\0')[0]!;
  if (!/^[0-7]+$/.test(s)) throw new HeaderError('octal');
  const v = BigInt('0o' + s);
  if (v >= 1n << 64n) throw new HeaderError('range');
  return BigInt.asIntN(64, v);
}

function parseNumeric(field: Uint8Array): bigint {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    const negative = (field[0]! & 0x40) !== 0;
    let x = 0n;
    field.forEach((c, i) => {
      if (negative) c ^= 0xff;
      if (i === 0) c &= 0x7f;
      if (x >> 56n > 0n) throw new HeaderError('overflow');
      x = (x << 8n) | BigInt(c);
    });
    if (x >> 63n > 0n) throw new HeaderError('overflow');
    return negative ? -x - 1n : x;
  }
  return parseOctal(field);
}

/** Go's strconv.ParseInt(s, 10, 64). */
function parseInt10(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new HeaderError('int');
  const v = BigInt(s);
  if (v > MAX_INT64 || v < -MAX_INT64 - 1n) throw new HeaderError('int range');
  return v;
}

function parsePaxTime(s: string): { sec: number; nsec: number } {
  const dot = s.indexOf('.');
  const ss = dot < 0 ? s : s.slice(0, dot);
  let sn = dot < 0 ? '' : s.slice(dot + 1);
  const secs = parseInt10(ss);
  if (sn === '') return { sec: Number(secs), nsec: 0 };
  if (!/^[0-9]*$/.test(sn)) throw new HeaderError('time');
  sn = (sn + '000000000').slice(0, 9);
  const nsec = Number(sn);
  if (ss.startsWith('-') && nsec > 0) return { sec: Number(secs - 1n), nsec: 1e9 - nsec };
  return { sec: Number(secs), nsec };
}

function checksumOk(b: Uint8Array): boolean {
  let value: bigint;
  try {
    value = parseOctal(b.subarray(148, 156));
  } catch {
    return false;
  }
  let unsigned = 0, signed = 0;
  for (let i = 0; i < 512; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c >= 128 ? c - 256 : c;
  }
  return value === BigInt(unsigned) || value === BigInt(signed);
}

function formatOf(b: Uint8Array): 'v7' | 'ustar' | 'gnu' | 'star' {
  const magic = latin1(b.subarray(257, 263)), version = latin1(b.subarray(263, 265)), trailer = latin1(b.subarray(508, 512));
  if (magic === 'ustar\0' && trailer === 'tar\0') return 'star';
  if (magic === 'ustar\0') return 'ustar';
  if (magic === 'ustar ' && version === ' \0') return 'gnu';
  return 'v7';
}

/** A byte source with Go's io semantics: short reads at the end raise EOF or unexpected EOF. */
class Source {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  get left(): number {
    return this.bytes.length - this.pos;
  }
  /** io.ReadFull: EOF if nothing is left, HeaderError-like 'unexpected' if partially. */
  readFull(n: number): Uint8Array | 'eof' | 'unexpected' {
    if (this.left === 0 && n > 0) return 'eof';
    if (this.left < n) {
      this.pos = this.bytes.length;
      return 'unexpected';
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

class Truncated extends Error {}

interface Raw {
  typeflag: number; name: Uint8Array; linkname: Uint8Array; size: bigint; mode: bigint; uid: bigint; gid: bigint;
  mtime: { sec: number; nsec: number }; uname: Uint8Array; gname: Uint8Array; devmajor: bigint; devminor: bigint; block: Uint8Array; format: string;
}

function readHeader(src: Source): Raw {
  const first = src.readFull(512);
  if (first === 'eof') throw new EofError();
  if (first === 'unexpected') throw new Truncated();
  let block = first;
  if (block.every((c) => c === 0)) {
    const second = src.readFull(512);
    if (second === 'eof') throw new EofError();
    if (second === 'unexpected') throw new Truncated();
    if (second.every((c) => c === 0)) throw new EofError();
    throw new HeaderError('zero block then data');
  }
  if (!checksumOk(block)) throw new HeaderError('checksum');
  block = block.slice();
  const format = formatOf(block);
  const raw: Raw = {
    typeflag: block[156]!, name: cstr(block.subarray(0, 100)), linkname: cstr(block.subarray(157, 257)),
    size: parseNumeric(block.subarray(124, 136)), mode: parseNumeric(block.subarray(100, 108)),
    uid: parseNumeric(block.subarray(108, 116)), gid: parseNumeric(block.subarray(116, 124)),
    mtime: { sec: Number(parseNumeric(block.subarray(136, 148))), nsec: 0 },
    uname: new Uint8Array(0), gname: new Uint8Array(0), devmajor: 0n, devminor: 0n, block, format,
  };
  if (format !== 'v7') {
    raw.uname = cstr(block.subarray(265, 297));
    raw.gname = cstr(block.subarray(297, 329));
    raw.devmajor = parseNumeric(block.subarray(329, 337));
    raw.devminor = parseNumeric(block.subarray(337, 345));
    let prefix: Uint8Array = new Uint8Array(0);
    if (format === 'ustar') prefix = cstr(block.subarray(345, 500));
    else if (format === 'star') {
      prefix = cstr(block.subarray(345, 476));
      parseNumeric(block.subarray(476, 488));
      parseNumeric(block.subarray(488, 500));
    } else {
      try {
        if (block[345] !== 0) parseNumeric(block.subarray(345, 357));
        if (block[357] !== 0) parseNumeric(block.subarray(357, 369));
      } catch {
        const p = cstr(block.subarray(345, 500));
        if (p.every((c) => c < 0x80)) prefix = p;
      }
    }
    if (prefix.length > 0) raw.name = concat(prefix, new Uint8Array([0x2f]), raw.name);
  }
  return raw;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const headerOnly = (flag: number) => flag >= 0x31 && flag <= 0x36;

/** Go's parsePAX over the content of an x/g header. */
function parsePax(content: Uint8Array): Map<string, Uint8Array> {
  const records = new Map<string, Uint8Array>();
  const sparse: string[] = [];
  let rest = content;
  while (rest.length > 0) {
    const sp = rest.indexOf(0x20);
    if (sp < 0) throw new HeaderError('pax');
    const n = Number(parseInt10(latin1(rest.subarray(0, sp))));
    if (n < 5 || n > rest.length || sp + 1 >= n - 1 || rest[n - 1] !== 0x0a) throw new HeaderError('pax');
    const rec = rest.subarray(sp + 1, n - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new HeaderError('pax');
    const key = latin1(rec.subarray(0, eq));
    const value = rec.subarray(eq + 1);
    if (['path', 'linkpath', 'uname', 'gname'].includes(key) ? value.includes(0) : key.includes('\0')) throw new HeaderError('pax');
    if (key === 'GNU.sparse.offset' || key === 'GNU.sparse.numbytes') {
      if ((sparse.length % 2 === 0) !== (key === 'GNU.sparse.offset') || value.includes(0x2c)) throw new HeaderError('pax');
      sparse.push(latin1(value));
    } else records.set(key, value);
    rest = rest.subarray(n);
  }
  if (sparse.length > 0) records.set('GNU.sparse.map', Uint8Array.from(sparse.join(','), (c) => c.charCodeAt(0)));
  return records;
}

/** Reads an x/g/L/K content of `size` bytes (Go's readSpecialFile with the 1 MiB cap). */
function readSpecial(src: Source, size: bigint): Uint8Array {
  if (size > 1n << 20n) throw new HeaderError('too long');
  const got = src.readFull(Number(size));
  if (got === 'eof' || got === 'unexpected') {
    if (size === 0n) return new Uint8Array(0);
    throw new Truncated();
  }
  return got;
}

const text = (m: Map<string, Uint8Array>, k: string) => latin1(m.get(k) ?? new Uint8Array(0));

type Region = [offset: bigint, length: bigint];

export function referenceRead(bytes: Uint8Array): RefResult {
  const src = new Source(bytes);
  const entries: RefEntry[] = [];
  let pad = 0, pending = 0n;
  for (;;) {
    let stage: 'header' | 'data' = 'header';
    try {
      // Discard what is left of the previous entry and its padding (EOF in the padding ends cleanly).
      if (pending > 0n) {
        if (BigInt(src.left) < pending) throw new Truncated();
        src.pos += Number(pending);
      }
      if (src.left === 0 && pad > 0) return { entries, error: null };
      src.pos += Math.min(pad, src.left);
      pending = 0n;
      pad = 0;
      let pax = new Map<string, Uint8Array>();
      let longName: Uint8Array | undefined, longLink: Uint8Array | undefined;
      for (;;) {
        const raw = readHeader(src);
        const nb0 = headerOnly(raw.typeflag) ? 0n : raw.size;
        if (nb0 < 0n) throw new HeaderError('negative');
        const flag = raw.typeflag;
        if (flag === 0x78 || flag === 0x67 || flag === 0x4c || flag === 0x4b) {
          const content = readSpecial(src, nb0);
          pad = (512 - (Number(nb0 % 512n))) % 512;
          if (flag === 0x78 || flag === 0x67) {
            pax = parsePax(content);
            if (flag === 0x67) {
              entries.push(makeEntry({ ...raw, name: pax.get('path')?.length ? pax.get('path')! : raw.name, linkname: new Uint8Array(0), size: 0n, mode: 0n, uid: 0n, gid: 0n, mtime: { sec: 0, nsec: 0 }, uname: new Uint8Array(0), gname: new Uint8Array(0), devmajor: 0n, devminor: 0n }, pax));
              break;
            }
          } else if (flag === 0x4c) longName = cstr(content);
          else longLink = cstr(content);
          // Padding before the next header.
          if (src.left < pad) return { entries, error: null };
          src.pos += pad;
          pad = 0;
          continue;
        }
        const hdr = { ...raw };
        mergePax(hdr, pax);
        if (longName?.length) hdr.name = longName;
        if (longLink?.length) hdr.linkname = longLink;
        if (hdr.typeflag === 0) hdr.typeflag = hdr.name[hdr.name.length - 1] === 0x2f ? 0x35 : 0x30;
        const nb = headerOnly(hdr.typeflag) ? 0n : hdr.size;
        if (nb < 0n) throw new HeaderError('negative');
        let physical = nb;
        const regions = readSparse(src, hdr, pax, () => {
          if (physical < 512n) throw new Truncated();
          const got = src.readFull(512);
          if (typeof got === 'string') throw new Truncated();
          physical -= 512n;
          return got;
        });
        pad = (512 - Number(nb % 512n)) % 512;
        const entry = makeEntry(hdr, pax);
        entries.push(entry);
        stage = 'data';
        if (hdr.typeflag !== 0x67 && !headerOnly(hdr.typeflag)) {
          if (BigInt(src.left) < physical) throw new Truncated();
          if (regions) {
            const needed = regions.reduce((n, [, len]) => n + len, 0n);
            if (needed !== physical) throw new HeaderError('sparse data');
          }
          entry.contentLength = Number(hdr.size);
        }
        pending = physical;
        break;
      }
    } catch (e) {
      if (e instanceof EofError) return { entries, error: null };
      if (e instanceof HeaderError || e instanceof Truncated) return { entries, error: { index: stage === 'data' ? entries.length - 1 : entries.length, phase: stage } };
      throw e;
    }
  }
}

function makeEntry(hdr: Raw, pax: Map<string, Uint8Array>): RefEntry {
  return {
    name: hdr.name, linkname: hdr.linkname, typeflag: hdr.typeflag, size: Number(hdr.size), mode: Number(hdr.mode), uid: Number(hdr.uid), gid: Number(hdr.gid),
    uname: hdr.uname, gname: hdr.gname, mtime: hdr.mtime, devmajor: Number(hdr.devmajor), devminor: Number(hdr.devminor), pax,
  };
}

function mergePax(hdr: Raw, pax: Map<string, Uint8Array>): void {
  for (const [key, value] of pax) {
    if (value.length === 0) continue;
    const s = latin1(value);
    if (key === 'path') hdr.name = value;
    else if (key === 'linkpath') hdr.linkname = value;
    else if (key === 'uname') hdr.uname = value;
    else if (key === 'gname') hdr.gname = value;
    else if (key === 'uid') hdr.uid = parseInt10(s);
    else if (key === 'gid') hdr.gid = parseInt10(s);
    else if (key === 'size') hdr.size = parseInt10(s);
    else if (key === 'mtime') hdr.mtime = parsePaxTime(s);
    else if (key === 'atime' || key === 'ctime') parsePaxTime(s);
  }
}

/** Go's handleSparseFile: the region map of an old GNU or pax sparse entry, or undefined. */
function readSparse(src: Source, hdr: Raw, pax: Map<string, Uint8Array>, dataBlock: () => Uint8Array): Region[] | undefined {
  let regions: Region[] | undefined;
  if (hdr.typeflag === 0x53) {
    if (hdr.format !== 'gnu') throw new HeaderError('sparse format');
    hdr.size = parseNumeric(hdr.block.subarray(483, 495));
    regions = [];
    let block = hdr.block, base = 386, count = 4, ext = block[482]!;
    for (;;) {
      for (let i = 0; i < count; i++) {
        const e = block.subarray(base + i * 24, base + i * 24 + 24);
        if (e[0] === 0) break;
        regions.push([parseNumeric(e.subarray(0, 12)), parseNumeric(e.subarray(12, 24))]);
      }
      if (ext === 0) break;
      const next = src.readFull(512);
      if (typeof next === 'string') throw new Truncated();
      [block, base, count, ext] = [next, 0, 21, next[504]!];
    }
  } else {
    const major = text(pax, 'GNU.sparse.major'), minor = text(pax, 'GNU.sparse.minor');
    let v1: boolean;
    if (major === '0' && (minor === '0' || minor === '1')) v1 = false;
    else if (major === '1' && minor === '0') v1 = true;
    else if (major !== '' || minor !== '') return undefined;
    else if (text(pax, 'GNU.sparse.map') !== '') v1 = false;
    else return undefined;
    if (pax.get('GNU.sparse.name')?.length) hdr.name = pax.get('GNU.sparse.name')!;
    const size = text(pax, 'GNU.sparse.size') || text(pax, 'GNU.sparse.realsize');
    if (size !== '') hdr.size = parseInt10(size);
    regions = v1 ? sparseMap1x0(dataBlock) : sparseMap0x1(pax);
  }
  if (headerOnly(hdr.typeflag) || hdr.size < 0n) throw new HeaderError('sparse');
  let prevEnd = 0n;
  for (const [offset, length] of regions) {
    if (offset < 0n || length < 0n || offset > MAX_INT64 - length || offset + length > hdr.size || prevEnd > offset) throw new HeaderError('sparse');
    prevEnd = offset + length;
  }
  return regions;
}

function sparseMap1x0(dataBlock: () => Uint8Array): Region[] {
  let buffer = '';
  const tokens = () => buffer.split('\n').length - 1;
  const feed = (n: number) => {
    while (tokens() < n) buffer += latin1(dataBlock());
  };
  feed(1);
  const count = parseInt10(buffer.slice(0, buffer.indexOf('\n')));
  if (count < 0n || count > (1n << 62n) - 1n) throw new HeaderError('sparse count');
  if (count > 1n << 18n) throw new HeaderError('sparse map too long'); // layerkit's bound (see assembly/tar.ts)
  feed(1 + 2 * Number(count));
  const parts = buffer.split('\n').slice(1, 1 + 2 * Number(count));
  const regions: Region[] = [];
  for (let i = 0; i < parts.length; i += 2) regions.push([parseInt10(parts[i]!), parseInt10(parts[i + 1]!)]);
  return regions;
}

function sparseMap0x1(pax: Map<string, Uint8Array>): Region[] {
  const count = parseInt10(text(pax, 'GNU.sparse.numblocks'));
  if (count < 0n || count > (1n << 62n) - 1n) throw new HeaderError('sparse count');
  const map = text(pax, 'GNU.sparse.map');
  const parts = map === '' ? [] : map.split(',');
  if (BigInt(parts.length) !== 2n * count) throw new HeaderError('sparse map');
  const regions: Region[] = [];
  for (let i = 0; i < parts.length; i += 2) regions.push([parseInt10(parts[i]!), parseInt10(parts[i + 1]!)]);
  return regions;
}
