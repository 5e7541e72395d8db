// Tar reader kernel (placeholder while the state machine lands; every call reports an error).
import { entriesCreate } from './entries';

export const TAR_BUFFER_SIZE: usize = 1 << 20;

export function tarCreate(flags: u32): usize {
  const ctx = heap.alloc(128);
  memory.fill(ctx, 0, 128);
  store<u32>(ctx, <u32>entriesCreate(16, 1024, 256, (flags & 2) != 0), 40);
  store<u32>(ctx, <u32>heap.alloc(TAR_BUFFER_SIZE), 44);
  return ctx;
}

export function tarFeed(ctx: usize, loaded: u32): u32 {
  return 4;
}

export function tarFinish(ctx: usize): u32 {
  return 4;
}

export function tarFree(ctx: usize): void {
  heap.free(<usize>load<u32>(ctx, 44));
  heap.free(ctx);
}
