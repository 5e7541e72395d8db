/**
 * Just enough tar for image archives (`docker save`, `oci-archive`): a member table read by
 * seeking from header to header (layer bytes are never read to build it), and a writer that
 * streams members from openers. Layer *contents* go through src/tar/, not through here.
 *
 *   const members = await readMemberTable((start) => host().openRead(file, start));
 *   const bytes = members.get('manifest.json');
 */
import { LayerkitError } from '../errors.ts';
import type { Opener } from '../image/types.ts';

export interface Member {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Byte offset of the content in the archive. */
  offset: number;
  size: number;
  linkname: string;
}

/** Opens the archive's bytes from an offset. */
export type OpenAt = (start: number) => ReadableStream<Uint8Array>;

const BLOCK = 512;
const MAX_MEMBERS = 1 << 20;
const MAX_META = 1 << 20;

/** Reads byte ranges through one forward-moving stream, re-opening only to jump ahead far. */
class RangeReader {
  private reader?: ReadableStreamDefaultReader<Uint8Array>;
  private buffer = new Uint8Array(0);
  private bufferStart = 0;
  constructor(private readonly openAt: OpenAt) {}

  async read(offset: number, length: number): Promise<Uint8Array | undefined> {
    if (!this.reader || offset < this.bufferStart || offset > this.bufferStart + this.buffer.length + (4 << 20)) {
      await this.reader?.cancel().catch(() => {});
      this.reader = this.openAt(offset).getReader();
      this.buffer = new Uint8Array(0);
      this.bufferStart = offset;
    }
    while (this.bufferStart + this.buffer.length < offset + length) {
      const { done, value } = await this.reader.read();
      if (done) return undefined;
      const keepFrom = Math.min(offset - this.bufferStart, this.buffer.length);
      const merged = new Uint8Array(this.buffer.length - keepFrom + value.length);
      merged.set(this.buffer.subarray(keepFrom));
      merged.set(value, this.buffer.length - keepFrom);
      this.bufferStart += keepFrom;
      this.buffer = merged;
    }
    const at = offset - this.bufferStart;
    return this.buffer.slice(at, at + length);
  }

  async close(): Promise<void> {
    await this.reader?.cancel().catch(() => {});
  }
}

const latin = new TextDecoder('utf-8');
function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return latin.decode(end < 0 ? field : field.subarray(0, end));
}

function octal(block: Uint8Array, start: number, length: number): number {
  if (block[start]! & 0x80) {
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    if (block[start]! & 0x40 || !Number.isSafeInteger(value)) throw broken('a negative or huge base-256 size');
    return value;
  }
  const digits = text(block, start, length).trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw broken(`"${digits}" is not an octal number`);
  return parseInt(digits, 8);
}

function broken(why: string): LayerkitError {
  return new LayerkitError('ARCHIVE_INVALID', `the archive is not a valid tar: ${why}`, { hint: 'is it a docker save / oci-archive tar, and complete?' });
}

function checksumOk(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return octal(block, 148, 8) === sum;
}

function paxRecords(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const s = new TextDecoder().decode(bytes);
  let at = 0;
  while (at < s.length) {
    const space = s.indexOf(' ', at);
    const length = Number(s.slice(at, space));
    if (space < 0 || !Number.isSafeInteger(length) || length <= 0) throw broken('a malformed pax record');
    const record = s.slice(space + 1, at + length - 1);
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return out;
}

/** Leading `/` and `./` are stripped (docker tars carry them); `..` components are kept for the caller to refuse. */
export const cleanMemberName = (name: string): string => name.replace(/^(?:\.?\/)+/, '').replace(/\/+$/, '');

/** The archive's members by cleaned name; a later member of the same name wins, as tar extraction would. */
export async function readMemberTable(openAt: OpenAt): Promise<Map<string, Member>> {
  const reader = new RangeReader(openAt);
  const members = new Map<string, Member>();
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  try {
    for (let count = 0; count < MAX_MEMBERS; count++) {
      const block = await reader.read(offset, BLOCK);
      if (!block) throw broken('it ends without the two zero blocks (truncated?)');
      if (block.every((b) => b === 0)) return members;
      if (!checksumOk(block)) throw broken(`bad header checksum at byte ${offset}`);
      const size = pax.size !== undefined ? Number(pax.size) : octal(block, 124, 12);
      if (!Number.isSafeInteger(size) || size < 0) throw broken('an invalid size');
      const flag = String.fromCharCode(block[156]!);
      const contentAt = offset + BLOCK;
      offset = contentAt + Math.ceil(size / BLOCK) * BLOCK;
      if (flag === 'x' || flag === 'L' || flag === 'K' || flag === 'g') {
        if (size > MAX_META) throw broken('a pax or long-name record over 1 MiB');
        const data = await reader.read(contentAt, size);
        if (!data) throw broken('truncated metadata record');
        if (flag === 'x') pax = paxRecords(data);
        else if (flag === 'L') longName = text(data, 0, data.length);
        else if (flag === 'K') longLink = text(data, 0, data.length);
        continue;
      }
      const prefix = block[257] === 0x75 /* u of ustar */ ? text(block, 345, 155) : '';
      const rawName = pax.path ?? longName ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100));
      const linkname = pax.linkpath ?? longLink ?? text(block, 157, 100);
      const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : flag === '1' ? 'hardlink' : 'other';
      members.set(cleanMemberName(rawName), { name: cleanMemberName(rawName), type, offset: contentAt, size: type === 'file' ? size : 0, linkname });
      pax = {};
      longName = longLink = undefined;
    }
    throw broken(`more than ${MAX_MEMBERS} members`);
  } finally {
    await reader.close();
  }
}

/** One member's bytes, exactly `member.size` of them. */
export function openMember(openAt: OpenAt, member: Member): ReadableStream<Uint8Array> {
  const reader = openAt(member.offset).getReader();
  let left = member.size;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (left === 0) {
        await reader.cancel().catch(() => {});
        return controller.close();
      }
      const { done, value } = await reader.read();
      if (done) return controller.error(broken(`member ${member.name} is truncated`));
      const part = value.length > left ? value.subarray(0, left) : value;
      left -= part.length;
      controller.enqueue(part);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

// ---- writing ----

export interface WriteMember {
  name: string;
  type?: 'file' | 'dir' | 'symlink';
  size?: number;
  /** Content for a file: bytes in memory, or an opener streaming exactly `size` bytes. */
  bytes?: Uint8Array;
  open?: Opener;
  linkname?: string;
  mode?: number;
  /** Seconds since the epoch (default 0, so archives are reproducible). */
  mtime?: number;
}

const encoder = new TextEncoder();

function putString(block: Uint8Array, start: number, length: number, value: string): void {
  block.set(encoder.encode(value).subarray(0, length), start);
}

function putOctal(block: Uint8Array, start: number, length: number, value: number): void {
  if (value >= 8 ** (length - 1)) {
    block[start] = 0x80;
    for (let i = start + length - 1, v = value; i > start; i--, v = Math.floor(v / 256)) block[i] = v % 256;
    return;
  }
  putString(block, start, length - 1, value.toString(8).padStart(length - 1, '0'));
}

function header(name: string, type: string, size: number, mode: number, mtime: number, linkname: string): Uint8Array {
  const block = new Uint8Array(BLOCK);
  putString(block, 0, 100, name);
  putOctal(block, 100, 8, mode);
  putOctal(block, 108, 8, 0);
  putOctal(block, 116, 8, 0);
  putOctal(block, 124, 12, size);
  putOctal(block, 136, 12, mtime);
  block.fill(32, 148, 156);
  block[156] = type.charCodeAt(0);
  putString(block, 157, 100, linkname);
  putString(block, 257, 8, 'ustar\u000000');
  let sum = 0;
  for (const b of block) sum += b;
  putString(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

function paxHeader(name: string, linkname: string, mtime: number): Uint8Array[] {
  const records = [['path', name], ...(linkname ? [['linkpath', linkname]] : [])].map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    const n = encoder.encode(body).length;
    let length = n + String(n).length;
    if (String(length).length !== String(n).length) length = n + String(length).length;
    return `${length}${body}`;
  });
  const data = encoder.encode(records.join(''));
  return [header('PaxHeaders/' + name.slice(-80), 'x', data.length, 0o644, mtime, ''), data, new Uint8Array((BLOCK - (data.length % BLOCK)) % BLOCK)];
}

/** A tar stream of `members`, written in order; a file's content must be exactly its size. */
export function writeArchive(members: AsyncIterable<WriteMember> | Iterable<WriteMember>): ReadableStream<Uint8Array> {
  async function* blocks(): AsyncGenerator<Uint8Array> {
    for await (const m of members) {
      const type = m.type ?? 'file';
      const size = type === 'file' ? (m.bytes?.length ?? m.size ?? 0) : 0;
      const name = type === 'dir' && !m.name.endsWith('/') ? `${m.name}/` : m.name;
      const mtime = m.mtime ?? 0;
      const long = encoder.encode(name).length > 100 || encoder.encode(m.linkname ?? '').length > 100;
      if (long) yield* paxHeader(name, m.linkname ?? '', mtime);
      yield header(name, { file: '0', dir: '5', symlink: '2' }[type], size, m.mode ?? (type === 'dir' ? 0o755 : 0o644), mtime, m.linkname ?? '');
      if (m.bytes) yield m.bytes;
      else if (m.open && size > 0) {
        let seen = 0;
        const reader = (await m.open()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          seen += value.length;
          if (seen > size) throw broken(`${m.name} is longer than its ${size} bytes`);
          yield value;
        }
        if (seen !== size) throw broken(`${m.name} has ${seen} bytes, expected ${size}`);
      }
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad) yield new Uint8Array(pad);
    }
    yield new Uint8Array(BLOCK * 2);
  }
  const iterator = blocks();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: async () => void (await iterator.return(undefined)),
  });
}
