/**
 * BackgroundFiles on a worker thread (a Web Worker on Deno and Bun, node:worker_threads on Node;
 * the same steps over node:fs in both, see startWorker): an unpack's mkdirs, creates, writes,
 * chmods and closes run there, synchronously, while the main thread hashes and parses the next
 * chunks. Work goes over in one message per commit, the chunk's buffer transferred (not copied)
 * and sent back; per file, the main thread only appends a few numbers.
 * Measured on one debootstrap-sized layer: the calls' own cost moves off the main thread, which
 * the thread pool's per-call promises (fs.open, fs.write, ...) did not achieve: their bookkeeping
 * on the main thread cost about as much as the calls.
 */
import { Worker } from 'node:worker_threads';
import type { BackgroundFile, BackgroundFiles } from '../host.ts';

const Op = { Create: 0, Write: 1, Close: 2, CloseWith: 3, Mkdir: 4 } as const;

/**
 * The worker's start where it is a Web Worker (a module: Deno, Bun) and where it is a
 * node:worker_threads one (Node): how it gets node:fs and process, receives and replies.
 */
const WEB_PRELUDE = `
import fs from 'node:fs';
import process from 'node:process';
const receive = (handle) => { self.onmessage = (event) => handle(event.data); };
const reply = (message, transfer) => self.postMessage(message, transfer);
`;
const NODE_PRELUDE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const receive = (handle) => parentPort.on('message', handle);
const reply = (message, transfer) => parentPort.postMessage(message, transfer);
`;

/** The worker: runs each message's steps in order; after a failure, only closes files. */
const WORKER = `
const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW } = fs.constants;
const CREATE = O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW;
// a file created with its final mode and left whole by the umask needs no fchmod (7k of them took
// ~50 ms of this thread in a debootstrap-sized unpack); where the umask is unknown, always fchmod
const umask = (() => { try { return process.umask(); } catch { return 0o7777; } })();
const open = new Map(); // id → [fd, the mode it was created with]
let failure;
const fail = (e) => { failure ??= { message: String(e && e.message || e), code: e && e.code }; };
receive(({ steps, paths, buffer }) => {
  const bytes = buffer ? new Uint8Array(buffer) : undefined;
  for (let k = 0, p = 0; k < steps.length; ) {
    const op = steps[k++], id = steps[k++];
    try {
      if (op === ${Op.Create}) {
        const path = paths[p++], mode = steps[k++];
        if (failure === undefined) open.set(id, [fs.openSync(path, CREATE, mode), mode]);
      } else if (op === ${Op.Mkdir}) {
        const path = paths[p++], mode = steps[k++];
        if (failure === undefined) fs.mkdirSync(path, { mode });
      } else if (op === ${Op.Write}) {
        const from = steps[k++], length = steps[k++], position = steps[k++];
        const fd = open.get(id)?.[0];
        if (fd !== undefined && failure === undefined) {
          for (let at = 0; at < length; ) at += fs.writeSync(fd, bytes, from + at, length - at, position + at);
        }
      } else {
        const meta = op === ${Op.CloseWith} ? [steps[k++], steps[k++]] : undefined;
        const [fd, created] = open.get(id) ?? [];
        open.delete(id);
        if (fd !== undefined) {
          try {
            if (meta && failure === undefined) {
              if (meta[0] !== created || (created & umask) !== 0) fs.fchmodSync(fd, meta[0]);
              fs.futimesSync(fd, meta[1], meta[1]);
            }
          } finally { fs.closeSync(fd); }
        }
      }
    } catch (e) { fail(e); }
  }
  reply({ buffer, failure }, buffer ? [buffer] : []);
});
`;

type Reply = { buffer?: ArrayBuffer; failure?: { message: string; code?: string } };

interface WorkerChannel {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): void;
}

/**
 * The worker: a Web Worker where the runtime has them (Deno, Bun), else a node:worker_threads one
 * (Node). Deno's node:worker_threads constructor held the main thread ~105 ms, a Web Worker's
 * ~23 ms (Bun: ~12 and ~0.2 ms; measured), and in an unpack the main thread has work to do then.
 */
function startWorker(onReply: (reply: Reply) => void, onError: (error: Error) => void): WorkerChannel {
  const WebWorker = (globalThis as { Worker?: new (url: string, options: { type: 'module' }) => globalThis.Worker }).Worker;
  if (typeof WebWorker === 'function') {
    const url = URL.createObjectURL(new Blob([WEB_PRELUDE + WORKER], { type: 'text/javascript' }));
    const worker = new WebWorker(url, { type: 'module' });
    worker.onmessage = (event: MessageEvent<Reply>) => onReply(event.data);
    worker.onerror = (event: ErrorEvent) => { event.preventDefault(); onError(new Error(`the file worker failed: ${event.message}`)); };
    return {
      postMessage: (message, transfer) => worker.postMessage(message, transfer),
      terminate: () => { worker.terminate(); URL.revokeObjectURL(url); },
    };
  }
  const worker = new Worker(NODE_PRELUDE + WORKER, { eval: true });
  worker.on('message', onReply);
  worker.on('error', onError);
  return { postMessage: (message, transfer) => worker.postMessage(message, transfer), terminate: () => void worker.terminate() };
}

export function workerBackgroundFiles(): BackgroundFiles {
  let steps: number[] = [];
  let paths: string[] = [];
  let nextId = 0;
  const unclosed = new Set<BackgroundFile>();
  /** Replies awaited, in the order their messages went (the worker answers in that order). */
  const replies: ((reply: Reply) => void)[] = [];
  let failure: Error | undefined;
  // started at once: a worker takes ~40 ms to boot, which the caller's work until its first steps hides
  const worker = startWorker((reply) => replies.shift()?.(reply), (error) => {
    failure ??= error;
    for (const answer of replies.splice(0)) answer({});
  });
  /** The last message's reply: drain waits for it (the worker answers in order). */
  let last: Promise<unknown> = Promise.resolve();
  const send = (buffer: ArrayBuffer | undefined): Promise<ArrayBuffer | undefined> => {
    const message = { steps, paths, buffer };
    steps = [];
    paths = [];
    const reply = new Promise<ArrayBuffer | undefined>((resolve) => {
      replies.push(({ buffer: back, failure: failed }) => {
        if (failed) failure ??= Object.assign(new Error(failed.message), { code: failed.code });
        resolve(back);
      });
    });
    worker.postMessage(message, buffer ? [buffer] : []);
    last = reply;
    return reply;
  };
  const flush = () => void (steps.length > 0 && send(undefined));
  return {
    mkdir(path, mode) {
      steps.push(Op.Mkdir, -1, mode);
      paths.push(path);
    },
    flush,
    create(path, mode) {
      const id = nextId++;
      steps.push(Op.Create, id, mode);
      paths.push(path);
      let position = 0;
      const file: BackgroundFile = {
        write(bytes) {
          steps.push(Op.Write, id, bytes.byteOffset, bytes.length, position);
          position += bytes.length;
        },
        close(meta) {
          unclosed.delete(file);
          if (meta) steps.push(Op.CloseWith, id, meta.mode, meta.mtime.sec + meta.mtime.nsec / 1e9);
          else steps.push(Op.Close, id);
        },
      };
      unclosed.add(file);
      return file;
    },
    async commit(buffer) {
      if (steps.length === 0) return buffer;
      const size = buffer.byteLength;
      const back = send(buffer);
      // a worker that died gives nothing back: a fresh buffer keeps the reader going to drain
      return (await back) ?? new ArrayBuffer(size);
    },
    async drain() {
      for (const file of [...unclosed]) file.close();
      flush();
      await last;
      if (failure) {
        const error = failure;
        failure = undefined;
        throw error;
      }
    },
    close() {
      worker.terminate();
    },
  };
}
