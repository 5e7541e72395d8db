/**
 * What a runtime must supply to the portable code: files as web streams, the environment.
 * `src/runtime/` fills it in per runtime; everything else talks only to this interface.
 */
import { LayerkitError } from './errors.ts';

export type RuntimeName = 'node' | 'deno' | 'bun' | 'workerd' | 'other';

export interface FileInfo {
  size: number;
  isFile: boolean;
  isDirectory: boolean;
}

/** A file read at positions, synchronously: for walking a tar's headers and jumping over its contents. */
export interface RandomAccessFile {
  readonly size: number;
  /** Reads up to `into.length` bytes at `position`; returns how many (0 at the end). */
  read(into: Uint8Array, position: number): number;
  close(): void;
}

export interface Host {
  runtime: RuntimeName;
  env(name: string): string | undefined;
  stat(path: string): Promise<FileInfo>;
  /** The file's bytes from `start` as a stream; opened lazily so a caller can re-open it. */
  openRead(path: string, start?: number): ReadableStream<Uint8Array>;
  /** The file opened for positioned reads; absent on hosts without files. */
  openRandomAccess?(path: string): RandomAccessFile;
  /** A runtime gunzip (src/compress/gzip.ts probes it against Go's rules before using it). */
  gunzip?(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;

  // Writing and listing, for stores and archives; absent on hosts without files (use `need`).
  /** The whole file; for small documents only. */
  readFile?(path: string): Promise<Uint8Array>;
  /** Writes `bytes` to `path` (created or truncated); with `sync`, fsyncs before returning. */
  writeFile?(path: string, bytes: Uint8Array, options?: { sync?: boolean }): Promise<void>;
  /** A sink writing `path` (created or truncated, exclusive with `exclusive`); with `sync`, close fsyncs. */
  openWrite?(path: string, options?: { sync?: boolean; exclusive?: boolean }): WritableStream<Uint8Array>;
  mkdir?(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Atomic within one file system (POSIX rename). */
  rename?(from: string, to: string): Promise<void>;
  /** Makes a directory's entries durable (after a rename into it). */
  fsyncDir?(path: string): Promise<void>;
  /** Names in a directory, without `.` and `..`. */
  readdir?(path: string): Promise<string[]>;
  /** Removes a file or (with `recursive`) a tree; no error when absent. */
  remove?(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Like stat, without following a final symlink. */
  lstat?(path: string): Promise<FileInfo & { isSymlink: boolean; mode: number; mtimeMs: number; uid: number; gid: number }>;
  readlink?(path: string): Promise<string>;
  /** lstat with everything a diff compares: type, nanosecond mtime (ms on Deno), device numbers, inode and link count. */
  lstatEntry?(path: string): Promise<EntryStat>;
  /**
   * Extended attributes under `root` whose names match `pattern` (a regular expression), by path
   * relative to `root`, without following symlinks. Undefined when the host cannot read them.
   */
  xattrsUnder?(root: string, pattern: string): Promise<Map<string, Record<string, Uint8Array>> | undefined>;
  /** Synchronous tree-writing operations (unpack); absent where the host has no file system. */
  treeWriter?(): TreeWriter;
  /** A faster fetch than the global one for bulk transfers (registries), where the runtime has one; 3xx answers are returned, not followed. */
  fetch?(input: string, init?: RequestInit): Promise<Response>;
  /** Runs a program with `stdin`, no shell (credential helpers); absent where programs cannot run. */
  spawn?(command: string, args: string[], stdin: Uint8Array): Promise<{ status: number; stdout: Uint8Array; stderr: Uint8Array }>;
}

/** One directory entry's metadata, as `lstat` reports it (what `lstatEntry` returns). */
export interface EntryStat {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  /** Permission bits plus setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  devmajor: number;
  devminor: number;
  /** Inode number (a string: it may exceed 2^53) and hard-link count. */
  ino: string;
  nlink: number;
}

/**
 * Synchronous file operations for extracting a tree fast (src/fs/unpack.ts). Paths are absolute;
 * nothing here follows a final symlink except where it says so.
 */
export interface TreeWriter {
  /** What is at `path` (not followed), or undefined when nothing is. */
  kind(path: string): 'dir' | 'symlink' | 'file' | 'other' | undefined;
  readlink(path: string): string;
  mkdir(path: string, mode: number): void;
  /** Creates a new regular file (fails if anything exists there) and returns a handle for write/close. */
  createFile(path: string, mode: number): number;
  write(handle: number, bytes: Uint8Array): void;
  close(handle: number): void;
  /**
   * Sets a new file's mode, then its times (to the precision the host has), through its handle
   * (no path to resolve), then closes it. Optional: without it, close() and setMetadata() by path.
   */
  closeWith?(handle: number, meta: { mode: number; mtime: { sec: number; nsec: number } }): void;
  symlink(target: string, path: string): void;
  /** A hard link to `existing` (a symlink is linked itself, never its target). */
  link(existing: string, path: string): void;
  /** Makes device nodes and FIFOs, all in one go (a host may need a helper program for them). */
  mknod(nodes: { path: string; type: 'char' | 'block' | 'fifo'; major: number; minor: number }[]): void;
  /**
   * Owner (lchown), then mode (never through a symlink), then times (lutimes). Each part optional.
   * `notSymlink`: the caller made `path` as something else and nothing can have replaced it since,
   * so the writer need not look before changing the mode.
   */
  setMetadata(path: string, meta: { uid?: number; gid?: number; mode?: number; notSymlink?: boolean; mtime?: { sec: number; nsec: number } }): void;
  /**
   * The owner that files and directories made from now on inside `dir` (a directory this process
   * just made) get, so that a caller can skip chown when it matches; undefined when unknown.
   */
  ownerOfNew?(dir: string): { uid: number; gid: number } | undefined;
  /** Sets access and modification times to the nanosecond (not following symlinks), all in one go. */
  setTimesExact(items: { path: string; mtime: { sec: number; nsec: number } }[]): void;
  /** Sets extended attributes (not following symlinks), all in one go. */
  setXattrs(items: { path: string; name: string; value: Uint8Array }[]): void;
  /** Removes a file or a whole tree; nothing when absent. */
  remove(path: string): void;
  rename(from: string, to: string): void;
  /** New files written off the caller's thread, where the host can (optional: else createFile, write, close). */
  backgroundFiles?(): BackgroundFiles;
}

/**
 * New files and directories written off the caller's thread (TreeWriter.backgroundFiles), so
 * that the writing overlaps the caller's work. Steps are queued, then started together by
 * `commit` (or `flush`, for steps that read no buffer); they run in the order queued. Failures
 * are reported by `drain`.
 *
 *   const files = writer.backgroundFiles!();
 *   const f = files.create('rootfs/etc/hosts', 0o600);
 *   f.write(chunk.subarray(0, 120)); f.close({ mode: 0o644, mtime });
 *   buffer = await files.commit(chunk.buffer);   // chunk's memory, handed back once written from
 *   await files.drain(); files.close();
 */
export interface BackgroundFiles {
  /** Queues making a directory, as TreeWriter.mkdir does. */
  mkdir(path: string, mode: number): void;
  /** Starts the steps queued since the last commit, which must not write from a buffer. */
  flush(): void;
  /** Queues making a new regular file, as TreeWriter.createFile does. */
  create(path: string, mode: number): BackgroundFile;
  /**
   * Starts the steps queued since the last commit. Their writes view `buffer`, which the caller
   * leaves alone until the promise settles; it resolves to the buffer to use from then on (the
   * same, or a new ArrayBuffer over the same memory where it was transferred and back).
   */
  commit(buffer: ArrayBuffer): Promise<ArrayBuffer>;
  /** Closes the files left open, waits for every step, and throws the first failure. */
  drain(): Promise<void>;
  /** Lets go of what the writing needed (a worker thread); after drain. */
  close(): void;
}

export interface BackgroundFile {
  /** Queues appending `bytes`: a view of the buffer the next commit is given. */
  write(bytes: Uint8Array): void;
  /**
   * Queues closing the file, first setting `meta` through its handle when given (as closeWith
   * does; the mode may be left as created where that is already it).
   */
  close(meta?: { mode: number; mtime: { sec: number; nsec: number } }): void;
}

type FileMethods = Exclude<keyof Host, 'runtime' | 'env' | 'stat' | 'openRead'>;

/** The host's `method`, or a NO_FILESYSTEM error naming what is missing. */
export function need<K extends FileMethods>(method: K): NonNullable<Host[K]> {
  const fn = host()[method];
  if (!fn) {
    throw new LayerkitError('NO_FILESYSTEM', `this runtime's host has no ${method}()`, { hint: 'use an in-memory store or pass streams' });
  }
  return (fn as (...a: unknown[]) => unknown).bind(host()) as NonNullable<Host[K]>;
}

let current: Host | undefined;

export function setHost(host: Host): void {
  current = host;
}

export function host(): Host {
  if (!current) throw new Error('layerkit: no runtime host configured; import layerkit through its runtime entry');
  return current;
}
