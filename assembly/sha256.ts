// Streaming SHA-256 (FIPS 180-4) over linear memory.
//
// A hash lives in a caller-owned 112-byte context, so any number of hashes can run at once
// (a blob digest and a diffID in the same pass, one per file in a tar). Whole blocks are
// compressed straight from the input; only a partial tail is copied into the context.
//
//   sha256Init(ctx); sha256Update(ctx, ptr, len) …; sha256Final(ctx, out32)
import { compress } from './generated/sha256-compress';

/** Bytes a context needs: state (32) + total length (8) + buffered count (8) + one block (64). */
export const SHA256_CONTEXT_SIZE: usize = 112;
const STATE = 0;
const LENGTH = 32;
const BUFFERED = 40;
const BLOCK = 48;

export function sha256Init(ctx: usize): void {
  store<u32>(ctx, 0x6a09e667, STATE + 0);
  store<u32>(ctx, 0xbb67ae85, STATE + 4);
  store<u32>(ctx, 0x3c6ef372, STATE + 8);
  store<u32>(ctx, 0xa54ff53a, STATE + 12);
  store<u32>(ctx, 0x510e527f, STATE + 16);
  store<u32>(ctx, 0x9b05688c, STATE + 20);
  store<u32>(ctx, 0x1f83d9ab, STATE + 24);
  store<u32>(ctx, 0x5be0cd19, STATE + 28);
  store<u64>(ctx, 0, LENGTH);
  store<u64>(ctx, 0, BUFFERED);
}

export function sha256Update(ctx: usize, ptr: usize, len: usize): void {
  if (len == 0) return;
  store<u64>(ctx, load<u64>(ctx, LENGTH) + <u64>len, LENGTH);
  let buffered = <usize>load<u64>(ctx, BUFFERED);
  if (buffered > 0) {
    const take = min<usize>(64 - buffered, len);
    memory.copy(ctx + BLOCK + buffered, ptr, take);
    buffered += take;
    ptr += take;
    len -= take;
    if (buffered < 64) {
      store<u64>(ctx, buffered, BUFFERED);
      return;
    }
    compress(ctx + STATE, ctx + BLOCK, 1);
    buffered = 0;
  }
  const blocks = len >> 6;
  if (blocks > 0) compress(ctx + STATE, ptr, blocks);
  const tail = len & 63;
  if (tail > 0) memory.copy(ctx + BLOCK, ptr + (blocks << 6), tail);
  store<u64>(ctx, tail, BUFFERED);
}

/** Pads, writes the 32-byte digest to `out`, and leaves the context needing a new init. */
export function sha256Final(ctx: usize, out: usize): void {
  const bits = load<u64>(ctx, LENGTH) << 3;
  let buffered = <usize>load<u64>(ctx, BUFFERED);
  const block = ctx + BLOCK;
  store<u8>(block + buffered, 0x80);
  buffered++;
  if (buffered > 56) {
    memory.fill(block + buffered, 0, 64 - buffered);
    compress(ctx + STATE, block, 1);
    buffered = 0;
  }
  memory.fill(block + buffered, 0, 56 - buffered);
  store<u64>(block, bswap<u64>(bits), 56);
  compress(ctx + STATE, block, 1);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(ctx + STATE + i)));
}
