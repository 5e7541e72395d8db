// Memory the host writes into: one fixed staging area for input chunks, plus a plain allocator
// for long-lived regions (hash contexts, indexes). Nothing here runs per byte or per call.

/** The largest chunk the host copies in per call. */
export const INPUT_SIZE: usize = 1 << 20;
let input: usize = 0;

/** The staging area, allocated on first use (a static segment would put 1 MiB of zeros in the debug build). */
export function inputPtr(): usize {
  if (input == 0) input = heap.alloc(INPUT_SIZE);
  return input;
}

/** Allocates `size` bytes, 16-byte aligned; may grow memory (the host must re-read its views). */
export function alloc(size: usize): usize {
  return heap.alloc(size);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}
