/**
 * A `fetch` for the registry client on Node, over node:http(s) with keep-alive: Node's global
 * fetch (undici) spends much of a core on per-chunk stream work, which caps a loopback pull well
 * below what the network gives. Same contract as fetch with `redirect: 'manual'` (3xx answers are
 * returned, never followed); request bodies may be bytes or a web stream.
 *
 *   const response = await nodeFetch('http://127.0.0.1:5000/v2/', { method: 'GET' });
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });
const HIGH_WATER = 4 << 20;
const NO_BODY = new Set([204, 205, 304]);

function headerRecord(headers: HeadersInit | undefined): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
}

/** The response body as a web stream with backpressure (the socket pauses while the reader lags). */
function bodyStream(message: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      message.on('data', (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        if ((controller.desiredSize ?? 0) <= 0) message.pause();
      });
      message.on('end', () => controller.close());
      message.on('error', (error) => controller.error(new TypeError(`network error: ${error.message}`, { cause: error })));
      message.on('close', () => {
        if (!message.complete) controller.error(new TypeError('network error: the connection closed mid-body'));
      });
    },
    pull() {
      message.resume();
    },
    cancel() {
      message.destroy();
    },
  }, { highWaterMark: HIGH_WATER, size: (chunk) => chunk.length });
}

export function nodeFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = headerRecord(init.headers);
  const body = init.body;
  if (body instanceof Uint8Array && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  const secure = url.protocol === 'https:';
  return new Promise<Response>((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(url, { method, headers, agent: secure ? httpsAgent : httpAgent }, (message) => {
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(message.headers)) {
        for (const v of Array.isArray(value) ? value : [value ?? '']) responseHeaders.append(name, v);
      }
      const status = message.statusCode ?? 0;
      const empty = method === 'HEAD' || NO_BODY.has(status);
      if (empty) message.resume();
      resolve(new Response(empty ? null : bodyStream(message), { status, statusText: message.statusMessage ?? '', headers: responseHeaders }));
    });
    request.on('error', (error) => reject(new TypeError(`fetch failed: ${error.message}`, { cause: error })));
    if (body === undefined || body === null) request.end();
    else if (body instanceof Uint8Array) request.end(body);
    else if (typeof body === 'string') request.end(body);
    else if (body instanceof ReadableStream) void pump(body as ReadableStream<Uint8Array>, request).catch((error) => request.destroy(error));
    else reject(new TypeError('nodeFetch: unsupported body type'));
  });
}

async function pump(source: ReadableStream<Uint8Array>, request: ReturnType<typeof httpRequest>): Promise<void> {
  const reader = source.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!request.write(value)) await new Promise<void>((resolve) => request.once('drain', resolve));
  }
  request.end();
}
