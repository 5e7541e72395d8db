/**
 * The registry's HTTP layer over `fetch`: redirects followed by our own code (so credentials
 * never reach another origin), bounded retries with backoff on 429/5xx and network errors, and
 * capped body reads (errors and tokens at 64 KiB, manifests at 4 MiB).
 *
 *   const response = await send({ url, method: 'GET', headers }, transport);
 *   const text = new TextDecoder().decode(await readCapped(response, ERROR_BODY_CAP, 'error body'));
 */
import { LayerkitError } from '../errors.ts';
import { host, type Host } from '../host.ts';

export const ERROR_BODY_CAP = 64 * 1024;
export const MANIFEST_CAP = 4 * 1024 * 1024;
const MAX_REDIRECTS = 10;
const SENSITIVE = ['authorization', 'proxy-authorization', 'cookie'];

export interface Transport {
  fetch: typeof fetch;
  /** Attempts per request, including the first (default 4). */
  attempts: number;
  /** The first backoff delay in ms; doubled per retry, with jitter (default 250). */
  backoffMs: number;
  /** Called before each retry (for progress and tests). */
  onRetry?: (info: { url: string; attempt: number; reason: string }) => void;
}

export function defaultTransport(overrides: Partial<Transport> = {}): Transport {
  return { fetch: runtimeFetch(), attempts: 4, backoffMs: 250, ...overrides };
}

/** The host's faster fetch where it has one (Node), else the global fetch. */
function runtimeFetch(): typeof fetch {
  let hostFetch: Host['fetch'];
  try {
    hostFetch = host().fetch?.bind(host());
  } catch {
    hostFetch = undefined; // no host configured: the portable API used bare
  }
  return (hostFetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args))) as typeof fetch;
}

export interface RegistryRequest {
  url: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** Bytes, or an opener for a fresh stream per attempt (so a retry can resend). */
  body?: Uint8Array | (() => ReadableStream<Uint8Array>);
  /** Follow redirects (blob GETs do, uploads do not). */
  followRedirects?: boolean;
  /** Retry on 429/5xx/network errors (default true). */
  retry?: boolean;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `request`, retrying transient failures; the final response is returned whatever its status. */
export async function send(request: RegistryRequest, transport: Transport): Promise<Response> {
  const attempts = request.retry === false ? 1 : Math.max(1, transport.attempts);
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let retryAfterMs = 0;
    try {
      const response = await sendFollowing(request, transport);
      if (!RETRY_STATUS.has(response.status) || attempt >= attempts) return response;
      reason = `HTTP ${response.status}`;
      retryAfterMs = retryAfter(response.headers.get('retry-after'));
      await response.body?.cancel().catch(() => {});
    } catch (error) {
      if (error instanceof LayerkitError || attempt >= attempts) throw networkError(request.url, error);
      reason = (error as Error)?.message ?? String(error);
    }
    transport.onRetry?.({ url: request.url, attempt, reason });
    const backoff = transport.backoffMs * 2 ** (attempt - 1);
    await sleep(Math.min(30_000, Math.max(retryAfterMs, backoff * (0.75 + Math.random() * 0.5))));
  }
}

function networkError(url: string, error: unknown): unknown {
  if (error instanceof LayerkitError) return error;
  return new LayerkitError('REGISTRY_UNREACHABLE', `${redact(url)}: ${(error as Error)?.message ?? error}`, {
    hint: 'check the host name and port, and that the registry is running', cause: error,
  });
}

function retryAfter(value: string | null): number {
  if (!value) return 0;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.min(30, Math.max(0, seconds)) * 1000 : 0;
}

/** One attempt: fetch with `redirect: 'manual'`, following 3xx ourselves without leaking credentials. */
async function sendFollowing(request: RegistryRequest, transport: Transport): Promise<Response> {
  let url = new URL(request.url);
  const origin = url.origin;
  let method = request.method;
  let headers = { ...request.headers };
  let body = request.body;
  for (let hop = 0; ; hop++) {
    const init: RequestInit & { duplex?: 'half' } = { method, headers, redirect: 'manual' };
    if (body instanceof Uint8Array) init.body = body as Uint8Array<ArrayBuffer>;
    else if (body) { init.body = body(); init.duplex = 'half'; }
    const response = await transport.fetch(url.href, init);
    if (!isRedirect(response.status) || request.followRedirects === false) return response;
    const location = response.headers.get('location');
    if (!location) return response;
    await response.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS) throw new LayerkitError('TOO_MANY_REDIRECTS', `${redact(request.url)}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, url);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new LayerkitError('REDIRECT_REFUSED', `${redact(request.url)}: redirect to a ${next.protocol} URL refused`);
    }
    // Credentials belong to the origin they were given for: any other origin (another host,
    // port or scheme, including a.com → www.a.com) gets the request without them, for good.
    if (next.origin !== origin) headers = withoutSensitive(headers);
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-/i.test(k)));
    }
    url = next;
  }
}

const isRedirect = (status: number) => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

function withoutSensitive(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !SENSITIVE.includes(name.toLowerCase())));
}

/** A URL without its query (signed blob URLs carry secrets there). */
export function redact(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

/** Reads the whole body, refusing (DOCUMENT_TOO_LARGE) past `cap` bytes without reading further. */
export async function readCapped(response: Response, cap: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > cap) {
    await response.body?.cancel().catch(() => {});
    throw new LayerkitError('DOCUMENT_TOO_LARGE', `${what} is ${declared} bytes, over the ${cap}-byte limit`, { hint: 'the server sent something that is not a registry document' });
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > cap) {
      await reader.cancel().catch(() => {});
      throw new LayerkitError('DOCUMENT_TOO_LARGE', `${what} is over the ${cap}-byte limit`, { hint: 'the server sent something that is not a registry document' });
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

/** The registry's error document, bounded: `{errors: [{code, message}]}` → `CODE: message`. */
export async function describeFailure(response: Response): Promise<{ code?: string; text: string }> {
  let text = '';
  try {
    text = new TextDecoder().decode(await readCapped(response, ERROR_BODY_CAP, 'error body'));
  } catch {
    return { text: `HTTP ${response.status}` };
  }
  try {
    const first = JSON.parse(text)?.errors?.[0];
    if (first && typeof first.code === 'string') return { code: first.code, text: `${first.code}: ${String(first.message ?? '').slice(0, 300)}` };
  } catch { /* not JSON */ }
  return { text: `HTTP ${response.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}` };
}
