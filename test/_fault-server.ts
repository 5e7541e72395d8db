/**
 * A misbehaving registry on loopback, for fault tests: raw HTTP/1.1 over node:net so a handler can
 * send a wrong byte, stop mid-body, cut the connection or redirect anywhere. Each request is
 * recorded (method, path, headers) so a test can assert what arrived where.
 *
 *   const server = await startFaultServer((req, res) => res.send(200, { 'content-type': 'text/plain' }, 'hi'));
 *   server.url // 'http://127.0.0.1:PORT'  …  server.requests[0].headers.authorization
 */
import { createServer, type Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface FaultResponse {
  /** A complete response; `body` may be longer than `headers['content-length']` says, or shorter. */
  send(status: number, headers: Record<string, string>, body?: Uint8Array | string): void;
  /** Headers for `declaredLength` bytes, then only `body`, then the connection is destroyed. */
  cut(status: number, headers: Record<string, string>, body: Uint8Array, declaredLength: number): void;
}

export type FaultHandler = (request: RecordedRequest, response: FaultResponse) => void | Promise<void>;

export interface FaultServer {
  url: string;
  host: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 206: 'Partial Content', 307: 'Temporary Redirect', 401: 'Unauthorized', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' };

export async function startFaultServer(handler: FaultHandler): Promise<FaultServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let busy = false;
    socket.on('data', async (data) => {
      buffer = Buffer.concat([buffer, data]);
      if (busy) return;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [line, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const colon = l.indexOf(':');
        headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (buffer.length < end + 4 + length) return; // wait for the body (chunked bodies are not needed here)
      busy = true;
      const [method, path] = line!.split(' ');
      const request = { method: method!, path: path!, headers, body: new Uint8Array(buffer.subarray(end + 4, end + 4 + length)) };
      requests.push(request);
      const head = (status: number, h: Record<string, string>) =>
        `HTTP/1.1 ${status} ${REASONS[status] ?? 'Status'}\r\n${Object.entries({ connection: 'close', ...h }).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
      await handler(request, {
        send(status, h, body = new Uint8Array(0)) {
          const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
          socket.end(Buffer.concat([Buffer.from(head(status, { 'content-length': String(bytes.length), ...h }), 'latin1'), bytes]));
        },
        cut(status, h, body, declaredLength) {
          socket.write(Buffer.concat([Buffer.from(head(status, { ...h, 'content-length': String(declaredLength) }), 'latin1'), Buffer.from(body)]), () => {
            setTimeout(() => socket.destroy(), 20);
          });
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * A BlobStore that does not verify anything itself: it drains the opener and keeps the bytes only
 * when the stream ends without an error. Fault tests use it to prove that layerkit's own reads
 * stop bad bytes (a verifying store would hide a missing check).
 */
export class RecordingStore {
  blobs = new Map<string, Uint8Array>();
  names = new Map<string, { mediaType: string; digest: string; size: number }>();
  async hasBlob(digest: string) { return this.blobs.has(digest); }
  async blobSize(digest: string) { return this.blobs.get(digest)?.length; }
  async putBlob(descriptor: { digest: string }, open: () => Promise<ReadableStream<Uint8Array>>) {
    const bytes = new Uint8Array(await new Response(await open()).arrayBuffer());
    this.blobs.set(descriptor.digest, bytes);
  }
  async putBytes(descriptor: { digest: string }, bytes: Uint8Array) { this.blobs.set(descriptor.digest, bytes); }
  async openBlob(digest: string) { return new Blob([this.blobs.get(digest)! as Uint8Array<ArrayBuffer>]).stream(); }
  async readBlob(digest: string) { return this.blobs.get(digest)!; }
  async listBlobs() { return [...this.blobs.keys()]; }
  async deleteBlob(digest: string) { this.blobs.delete(digest); }
  async listNames() { return [...this.names].map(([name, descriptor]) => ({ name, descriptor })); }
  async setName(name: string, descriptor: { mediaType: string; digest: string; size: number }) { this.names.set(name, descriptor); }
  async deleteName(name: string) { return this.names.delete(name); }
}
