/**
 * One verified read per layer for unpack, in one of two ways.
 *
 * - **Read ahead** (a layer stored as an uncompressed tar file: OCI layouts with uncompressed
 *   layers, `docker save` archives, the store): its headers are indexed first by seeking
 *   (indexTarFile: a few hundred small reads, no body bytes). After the merge, the layer is
 *   streamed once, verified, and every visible body is written straight to its final place
 *   (`writeInPlace`). The stream is parsed again and its headers must equal the ones read
 *   ahead, so a blob changed between the two reads fails the unpack (LAYER_CHANGED).
 * - **Spooled** (any other layer, e.g. gzip): the uncompressed stream is indexed and, in the same
 *   pass, every regular file's bytes go to a spool directory beside the target
 *   (`DIR.layerkit-bodies`, mode 0700, one file per entry). The writer then renames the bodies
 *   that survive the merge into place (`take`), and the spool goes at the end with what the
 *   merge hid.
 *
 *   const bodies = new LayerBodies(writer, 'rootfs.layerkit-bodies');
 *   const stack: StackLayer[] = [];
 *   await bodies.indexLayers(await image.layers(), stack);
 *   bodies.take(layer, entry);                         // a spooled body to move, or undefined
 *   const { written, confirm } = await bodies.writeInPlace(layer, stack[layer], (entry) => placeOf(entry));   // a read-ahead layer
 *   confirm();                                         // its headers are the ones read ahead (before anything is visible)
 *   await bodies.confirmRest(stack);                   // read-ahead layers nothing was written from
 *   bodies.remove();
 *
 * Why never read a layer without verifying it: the blob may change between two reads. Bodies are
 * written from the one verified stream: if it fails its digest at the end, the unpack fails and
 * what was written goes with the staging directory.
 *
 * The files are made through TreeWriter.backgroundFiles where the host has it (Node, Deno and
 * Bun: a worker thread), so that creating and writing them overlaps hashing and parsing the next
 * chunks; each chunk's buffer is read into again only once the writes from it are done.
 */
import { core } from '../core/wasm.ts';
import type { LayerIndex } from '../core/layer-index.ts';
import { TarParser } from '../core/tar.ts';
import { LayerkitError } from '../errors.ts';
import type { BackgroundFile, BackgroundFiles, TreeWriter } from '../host.ts';
import type { Layer } from '../image/types.ts';
import { indexTarFile } from '../tar/index-file.ts';
import type { StackLayer } from './layer-stack.ts';
import { borrowedChunks } from '../streams.ts';

/** A body still being written: its entry and the stream range of its bytes. */
interface OpenBody {
  entry: number;
  path: string;
  from: number;
  to: number;
  file?: BackgroundFile;
}

/**
 * Buffers the layer is read into by turns. With files written in the background, a chunk's
 * buffer stays in use until its writes are done, while the next chunks are read and hashed.
 */
const READ_BUFFERS = 8;

/**
 * What of a body's metadata its file has already: nothing (a chown must come first, so all of it
 * is set by path at the end), its mode and whole-second times, or all of it (no nanoseconds, no
 * xattrs: nothing is left to set).
 */
export type BodyMetadata = 'none' | 'mode-times' | 'all';

/** A spooled body: where it is, and what of its entry's metadata is on it already. */
export interface SpooledBody {
  path: string;
  metadata: BodyMetadata;
}

/** Per entry whose body was written, what of its metadata is on it already. */
export type WrittenBodies = Map<number, BodyMetadata>;

export class LayerBodies {
  /** Per layer, the entries whose bodies are spooled and not yet taken; undefined for a layer read ahead. */
  #spooled: (WrittenBodies | undefined)[] = [];
  /** Read-ahead layers whose headers no verified read has confirmed yet. */
  #unconfirmed = new Set<number>();
  /** Headers streamed and not yet compared with the read ahead (freed by remove() if never compared). */
  #streamed = new Set<LayerIndex>();
  /** Where bodies are written, made at the first body and closed by remove(). */
  #files: BackgroundFiles | undefined;

  /**
   * `owner`: what a new file gets here (TreeWriter.ownerOfNew). With `rootless` (no chown), or
   * where an entry's owner is what a new file gets anyway, the entry's mode and times are set on
   * the new file through its handle, sparing a chmod and a utimes by path later. Bodies that need
   * a chown get all their metadata by path at the end: a chown after the chmod would clear
   * setuid and setgid bits.
   */
  constructor(readonly writer: TreeWriter, readonly dir: string, readonly options: { rootless: boolean; owner: { uid: number; gid: number } | undefined }) {}

  /**
   * Indexes every layer (bottom first) into `stack`: ahead by seeking where the layer is an
   * uncompressed file, else reading its stream once and spooling file bodies. Layers indexed
   * before a failure stay in `stack` for the caller to free.
   */
  async indexLayers(layers: Layer[], stack: StackLayer[]): Promise<void> {
    this.files(); // where that is a worker thread, it boots while the layers are indexed
    for (let layer = 0; layer < layers.length; layer++) {
      const { uncompressed } = layers[layer]!;
      const ahead = await indexAhead(layers[layer]!);
      if (ahead) {
        this.#spooled.push(undefined);
        this.#unconfirmed.add(layer);
        stack.push({ index: ahead, uncompressed });
        continue;
      }
      if (this.#spooled.every((s) => s === undefined)) {
        this.writer.remove(this.dir);
        this.writer.mkdir(this.dir, 0o700);
      }
      const spooled: WrittenBodies = new Map();
      this.#spooled.push(spooled);
      // uncompressed() hashes a blob stored uncompressed once (its digest is its diffID)
      const index = await this.#parse(await uncompressed(), (index, entry) => (spoolable(index, entry) ? this.#path(layer, entry) : undefined), spooled);
      stack.push({ index, uncompressed });
      await this.files().drain();
    }
  }

  /** Whether `layer` was read ahead: its bodies are written by writeInPlace, none is spooled. */
  readAhead(layer: number): boolean {
    return this.#spooled[layer] === undefined;
  }

  /**
   * Streams read-ahead `layer` once, verified, writing the body of each entry `place` names to a
   * new file at that path. `confirm()` then checks that the stream's headers are `index`'s; the
   * caller runs it before anything becomes visible, and may leave it until the last layer has
   * streamed (so the next stream starts at once; the streamed indexes kept until then take at most
   * as much memory again as the stack's own). The last writes may still be under way when it
   * returns: `files().drain()` waits for them and throws their failure.
   */
  async writeInPlace(layer: number, { index, uncompressed }: StackLayer, place: (entry: number) => string | undefined): Promise<{ written: WrittenBodies; confirm: () => void }> {
    const written: WrittenBodies = new Map();
    const streamed = await this.#parse(await uncompressed(), (_, entry) => place(entry), written);
    this.#streamed.add(streamed);
    const confirm = () => {
      this.#streamed.delete(streamed);
      try {
        if (!streamed.equals(index)) {
          throw new LayerkitError('LAYER_CHANGED', `layer ${layer} changed while it was being unpacked: its headers differ between two reads`, { hint: 'nothing was unpacked; run it again once nothing writes to the image' });
        }
      } finally {
        streamed.free();
      }
      this.#unconfirmed.delete(layer);
    };
    return { written, confirm };
  }

  /** Confirms the read-ahead layers that no body was written from (their headers were used as read ahead). */
  async confirmRest(stack: StackLayer[]): Promise<void> {
    for (const layer of [...this.#unconfirmed]) (await this.writeInPlace(layer, stack[layer]!, () => undefined)).confirm();
  }

  /**
   * The spooled body of `entry` of `layer`, to be moved into place; undefined when it was not
   * spooled (empty, sparse, read ahead) or was taken already (each body makes one inode, never two).
   */
  take(layer: number, entry: number): SpooledBody | undefined {
    const spooled = this.#spooled[layer];
    const metadata = spooled?.get(entry);
    if (metadata === undefined) return undefined;
    spooled!.delete(entry);
    return { path: this.#path(layer, entry), metadata };
  }

  /**
   * Where bodies and directories are made off this thread (see TreeWriter.backgroundFiles): a
   * caller queueing its own steps drains them before anything else touches what they make.
   */
  files(): BackgroundFiles {
    return (this.#files ??= this.writer.backgroundFiles?.() ?? inlineFiles(this.writer));
  }

  /** Removes the spool and whatever is left in it. */
  remove(): void {
    this.#files?.close();
    for (const streamed of this.#streamed) streamed.free();
    this.#streamed.clear();
    this.writer.remove(this.dir);
  }

  /** Whether entry's mode and times go on through its handle: no chown must come after them. */
  #ownedAsIs(index: LayerIndex, entry: number): boolean {
    const { owner, rootless } = this.options;
    return rootless || (owner !== undefined && index.uid(entry) === owner.uid && index.gid(entry) === owner.gid);
  }

  /**
   * The mode a body's file is made with: its own where the handle sets it anyway (then a writer
   * may skip setting it again), else 0600. Never setuid, setgid or sticky before its bytes are in.
   */
  #createMode(index: LayerIndex, entry: number): number {
    const mode = index.mode(entry) & 0o7777;
    return (mode & 0o7000) === 0 && this.#ownedAsIs(index, entry) ? mode : 0o600;
  }

  /** Closes a finished body, with its entry's mode and times when no chown must come after; says what it set. */
  #finish(index: LayerIndex, entry: number, file: BackgroundFile): BodyMetadata {
    if (!this.#ownedAsIs(index, entry)) {
      file.close();
      return 'none';
    }
    const mtime = index.mtime(entry);
    file.close({ mode: index.mode(entry) & 0o7777, mtime });
    return mtime.nsec === 0 && !index.hasExtras(entry) ? 'all' : 'mode-times';
  }

  #path(layer: number, entry: number): string {
    return `${this.dir}/${layer}.${entry}`;
  }

  /**
   * Indexes a verified tar stream, writing the bytes of each entry `place` names to a new file
   * there as they pass, and records each finished one in `written`. The stream is not hashed
   * here: a Layer's `uncompressed()` verifies its diffID as it streams.
   */
  async #parse(stream: ReadableStream<Uint8Array>, place: (index: LayerIndex, entry: number) => string | undefined, written: WrittenBodies): Promise<LayerIndex> {
    const parser = new TarParser(core(), { index: true, sha256Files: false, hashStream: false });
    const files = this.files();
    const bodies = new BodyCursor(parser, files, place, (index, entry) => this.#createMode(index, entry), (index, entry, file) => written.set(entry, this.#finish(index, entry, file)));
    // Chunks are borrowed: a file's bytes come into a few reused buffers (about 3× cheaper than a
    // fresh 1 MiB chunk per read); a buffer is read into again once the writes from it are done.
    const inUse = (chunk: Uint8Array) => files.commit(chunk.buffer as ArrayBuffer);
    try {
      for await (const chunk of borrowedChunks(stream, undefined, { buffers: READ_BUFFERS, inUse })) bodies.feed(chunk);
      parser.finish();
      return parser.index;
    } catch (error) {
      await files.drain().catch(() => {});
      if (!stream.locked) await stream.cancel(error).catch(() => {});
      throw error;
    } finally {
      parser.dispose();
    }
  }
}

/**
 * Follows a tar stream chunk by chunk: parses it and queues the bytes of each body `place` names
 * for the file made there. Apart from the stream loop, so that the part that runs for every entry
 * is small (V8 compiles it sooner, and for less).
 */
class BodyCursor {
  /** Bodies whose headers are parsed and whose bytes are not all seen; the first unfinished at `next`. */
  #queue: OpenBody[] = [];
  #next = 0;
  #seen = 0;
  #position = 0;

  constructor(
    readonly parser: TarParser,
    readonly files: BackgroundFiles,
    readonly place: (index: LayerIndex, entry: number) => string | undefined,
    readonly createMode: (index: LayerIndex, entry: number) => number,
    readonly finished: (index: LayerIndex, entry: number, file: BackgroundFile) => void,
  ) {}

  feed(chunk: Uint8Array): void {
    this.parser.feed(chunk);
    const start = this.#position;
    const end = (this.#position += chunk.length);
    // entries whose headers this chunk completed; their data starts here or later
    const index = this.parser.index;
    for (const count = index.count; this.#seen < count; this.#seen++) {
      const entry = this.#seen;
      const from = index.dataOffset(entry);
      const size = index.size(entry);
      const path = from >= start && size > 0 ? this.place(index, entry) : undefined;
      if (path !== undefined) this.#queue.push({ entry, path, from, to: from + size });
    }
    const queue = this.#queue;
    while (this.#next < queue.length && queue[this.#next]!.from < end) {
      const body = queue[this.#next]!;
      body.file ??= this.files.create(body.path, this.createMode(index, body.entry));
      body.file.write(chunk.subarray(Math.max(body.from, start) - start, Math.min(body.to, end) - start));
      if (body.to > end) break;
      this.#next++;
      this.finished(index, body.entry, body.file);
    }
    if (this.#next === queue.length) {
      queue.length = 0;
      this.#next = 0;
    }
  }
}

/** BackgroundFiles done in the foreground, at once, for writers without them. */
function inlineFiles(writer: TreeWriter): BackgroundFiles {
  const open = new Set<number>();
  return {
    mkdir: (path, mode) => writer.mkdir(path, mode),
    flush() {},
    create(path, mode) {
      const handle = writer.createFile(path, mode);
      open.add(handle);
      return {
        write: (bytes) => writer.write(handle, bytes),
        close(meta) {
          open.delete(handle);
          if (!meta) return writer.close(handle);
          if (writer.closeWith) return writer.closeWith(handle, meta);
          writer.close(handle);
          writer.setMetadata(path, { mode: meta.mode, notSymlink: true, mtime: meta.mtime });
        },
      };
    },
    commit: async (buffer) => buffer,
    async drain() {
      for (const handle of open) writer.close(handle);
      open.clear();
    },
    close() {},
  };
}

/**
 * The layer's index read by seeking, where it is an uncompressed tar file; undefined otherwise,
 * and also where that fails: the verified stream then reports what is wrong with the layer.
 */
async function indexAhead(layer: Layer): Promise<LayerIndex | undefined> {
  const file = await layer.uncompressedFile?.().catch(() => undefined);
  if (!file) return undefined;
  try {
    return indexTarFile(file);
  } catch (error) {
    (error as { partial?: LayerIndex }).partial?.free();
    return undefined;
  } finally {
    file.close();
  }
}

/** Regular files with bytes, stored whole (GNU sparse files are expanded by the reader instead). */
export function spoolable(index: LayerIndex, i: number): boolean {
  const type = index.type(i);
  return (type === 'file' || type === 'contiguous') && index.size(i) > 0 && index.physicalSize(i) === index.size(i);
}
