/**
 * One read per layer for unpack. Each layer's uncompressed stream is indexed (as indexStack does)
 * and, in the same pass, every regular file's bytes go to a spool directory beside the target
 * (`DIR.layerkit-bodies`, mode 0700, one file per layer entry). The writer then renames the
 * bodies that survive the merge into place instead of reading and verifying the layer a second
 * time, and removes the spool at the end (what the merge hid goes with it).
 *
 *   const spool = new BodySpool(writer, 'rootfs.layerkit-bodies');
 *   const stack: StackLayer[] = [];
 *   await spool.indexLayers(await image.layers(), stack);
 *   const body = spool.take(layer, entry);   // a spooled file to move, or undefined: read it
 *   spool.remove();
 *
 * Why not read again: the second read would hash every byte again (the Layer re-verifies its
 * digest as it streams), and skipping that check is unsafe, since the blob file may change
 * between two reads. The spool is written from the one verified stream: if the stream fails
 * its digest at the end, the unpack fails and the spool is removed with the staging directory.
 */
import { core } from '../core/wasm.ts';
import type { LayerIndex } from '../core/layer-index.ts';
import { TarParser } from '../core/tar.ts';
import type { TreeWriter } from '../host.ts';
import type { Layer } from '../image/types.ts';
import type { StackLayer } from './layer-stack.ts';
import { borrowedChunks } from '../streams.ts';

/** A body still being written: its entry and the stream range of its bytes. */
interface OpenBody {
  entry: number;
  from: number;
  to: number;
  handle?: number;
}

/** A spooled body: where it is, and whether its entry's mode and times are on it already. */
export interface SpooledBody {
  path: string;
  metadata: boolean;
}

export class BodySpool {
  /** Per layer, the entries whose bodies are spooled and not yet taken; true: with their mode and times. */
  #spooled: Map<number, boolean>[] = [];
  #owner: { uid: number; gid: number } | undefined;

  /**
   * With `rootless` (no chown), or where an entry's owner is what a new file gets anyway, the
   * entry's mode and times are set on the spooled file through its handle (TreeWriter.closeWith),
   * sparing a chmod and a utimes by path later. Bodies that need a chown get all their metadata
   * by path at the end, as before: a chown after the chmod would clear setuid and setgid bits.
   */
  constructor(readonly writer: TreeWriter, readonly dir: string, readonly rootless = false) {}

  /**
   * Indexes every layer (bottom first) into `stack`, reading each uncompressed stream once, and
   * spools file bodies. Layers indexed before a failure stay in `stack` for the caller to free.
   */
  async indexLayers(layers: Layer[], stack: StackLayer[]): Promise<void> {
    this.writer.remove(this.dir);
    this.writer.mkdir(this.dir, 0o700);
    this.#owner = this.writer.ownerOfNew?.(this.dir);
    for (let layer = 0; layer < layers.length; layer++) {
      this.#spooled.push(new Map());
      // uncompressed() hashes a blob stored uncompressed once (its digest is its diffID)
      const { uncompressed } = layers[layer]!;
      stack.push({ index: await this.#indexLayer(layer, await uncompressed()), uncompressed });
    }
  }

  /**
   * The spooled body of `entry` of `layer`, to be moved into place; undefined when it was not
   * spooled (empty, sparse) or was taken already (each body makes one inode, never two).
   */
  take(layer: number, entry: number): SpooledBody | undefined {
    const spooled = this.#spooled[layer];
    const metadata = spooled?.get(entry);
    if (metadata === undefined) return undefined;
    spooled!.delete(entry);
    return { path: this.#path(layer, entry), metadata };
  }

  /** Removes the spool and whatever is left in it. */
  remove(): void {
    this.writer.remove(this.dir);
  }

  /** Closes a finished body, with its entry's mode and times when no chown must come after; says which. */
  #finish(index: LayerIndex, entry: number, handle: number): boolean {
    const owner = this.#owner;
    const ownedAsIs = this.rootless || (owner !== undefined && index.uid(entry) === owner.uid && index.gid(entry) === owner.gid);
    if (!ownedAsIs || !this.writer.closeWith) {
      this.writer.close(handle);
      return false;
    }
    this.writer.closeWith(handle, { mode: index.mode(entry) & 0o7777, mtime: index.mtime(entry) });
    return true;
  }

  #path(layer: number, entry: number): string {
    return `${this.dir}/${layer}.${entry}`;
  }

  // The stream is not hashed here: a Layer's `uncompressed()` verifies its diffID as it streams.
  async #indexLayer(layer: number, stream: ReadableStream<Uint8Array>): Promise<LayerIndex> {
    const parser = new TarParser(core(), { index: true, sha256Files: false, hashStream: false });
    // Chunks are borrowed: a file's bytes come into one reused buffer (about 3× cheaper than a
    // fresh 1 MiB chunk per read), and each is parsed and written out before the next read.
    const queue: OpenBody[] = [];
    let seen = 0;
    let position = 0;
    try {
      for await (const chunk of borrowedChunks(stream)) {
        parser.feed(chunk);
        const start = position;
        const end = (position += chunk.length);
        // entries whose headers this chunk completed; their data starts here or later
        const index = parser.index;
        for (const count = index.count; seen < count; seen++) {
          const from = index.dataOffset(seen);
          if (from >= start && spoolable(index, seen)) queue.push({ entry: seen, from, to: from + index.size(seen) });
        }
        while (queue.length > 0 && queue[0]!.from < end) {
          const body = queue[0]!;
          body.handle ??= this.writer.createFile(this.#path(layer, body.entry), 0o600);
          this.writer.write(body.handle, chunk.subarray(Math.max(body.from, start) - start, Math.min(body.to, end) - start));
          if (body.to > end) break;
          queue.shift();
          this.#spooled[layer]!.set(body.entry, this.#finish(index, body.entry, body.handle));
        }
      }
      parser.finish();
      return parser.index;
    } catch (error) {
      for (const body of queue) if (body.handle !== undefined) this.writer.close(body.handle);
      if (!stream.locked) await stream.cancel(error).catch(() => {});
      throw error;
    } finally {
      parser.dispose();
    }
  }
}

/** Regular files with bytes, stored whole (GNU sparse files are expanded by the reader instead). */
function spoolable(index: LayerIndex, i: number): boolean {
  const type = index.type(i);
  return (type === 'file' || type === 'contiguous') && index.size(i) > 0 && index.physicalSize(i) === index.size(i);
}
