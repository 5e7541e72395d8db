/**
 * Renders registry progress events: bars redrawn in place on a TTY (docker's look), one line per
 * status change otherwise, every event as a JSON line with `--progress=json`, nothing with `--quiet`.
 *
 *   const progress = progressRenderer(options); await pullImage(…, { onProgress: progress.listener }); progress.finish();
 */
import { UsageError } from '../errors.ts';
import type { ProgressEvent } from '../registry/progress.ts';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

export interface Progress {
  mode: ProgressMode;
  listener: (event: ProgressEvent) => void;
  /** A line about the whole operation ("Digest: …"); a JSON event in json mode. */
  message(line: string): void;
  /** Draws the last state (TTY). */
  finish(): void;
}

export function progressMode(options: { progress?: string; quiet?: boolean }): ProgressMode {
  if (options.quiet) return 'quiet';
  const wanted = options.progress ?? 'auto';
  if (wanted === 'auto') return process.stdout.isTTY ? 'tty' : 'plain';
  if (wanted === 'tty' || wanted === 'plain' || wanted === 'json') return wanted;
  throw new UsageError('BAD_OPTION', `--progress ${wanted} is not one of auto, tty, plain, json`);
}

const WIDTH = 40;

function formatBytes(n: number): string {
  if (n < 1000) return `${n}B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)}${units[unit]}`;
}

/** docker's bar: `[=====>        ]  1.2MB/3.4MB`. */
export function progressLine(event: ProgressEvent): string {
  const head = event.id ? `${event.id}: ${event.status}` : event.status;
  if (event.current === undefined || !event.total) return head;
  const filled = Math.min(WIDTH, Math.floor((event.current / event.total) * WIDTH));
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(WIDTH - filled)}]`;
  return `${head} ${bar} ${formatBytes(event.current)}/${formatBytes(event.total)}`;
}

export function progressRenderer(options: { progress?: string; quiet?: boolean }, write = (s: string) => void process.stdout.write(s)): Progress {
  const mode = progressMode(options);
  if (mode === 'quiet') return { mode, listener: () => {}, message: () => {}, finish: () => {} };
  if (mode === 'json') {
    return {
      mode,
      listener: (event) => write(JSON.stringify({ id: event.id, status: event.status, current: event.current ?? null, total: event.total ?? null }) + '\n'),
      message: (line) => write(JSON.stringify({ id: '', status: line, current: null, total: null }) + '\n'),
      finish: () => {},
    };
  }
  if (mode === 'plain') {
    const last = new Map<string, string>();
    return {
      mode,
      listener(event) {
        if (last.get(event.id) === event.status) return; // bytes moved; the status did not
        last.set(event.id, event.status);
        write(`${event.id ? `${event.id}: ` : ''}${event.status}\n`);
      },
      message: (line) => write(line + '\n'),
      finish: () => {},
    };
  }
  // TTY: one row per layer id, redrawn in place at most every 100 ms.
  const rows = new Map<string, ProgressEvent>();
  let drawn = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const draw = () => {
    timer = undefined;
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const event of rows.values()) out += `\x1b[2K${progressLine(event)}\n`;
    drawn = rows.size;
    write(out);
  };
  return {
    mode,
    listener(event) {
      rows.set(event.id, event);
      timer ??= setTimeout(draw, 100);
    },
    message(line) {
      if (timer) { clearTimeout(timer); draw(); }
      write(line + '\n');
      drawn = 0;
      rows.clear();
    },
    finish() {
      if (timer) clearTimeout(timer);
      if (rows.size) draw();
    },
  };
}
