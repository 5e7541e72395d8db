/**
 * A real registry for the tests: Debian's `docker-registry` (CNCF distribution 2.8) on
 * 127.0.0.1, with a config written here (filesystem storage in a temp dir, a free port), open,
 * behind htpasswd basic auth, or behind the small bearer-token server below. Stopped by `stop()`.
 *
 *   const registry = await startRegistry({ auth: 'token', users: { alice: 'secret' } });
 *   registry.host // '127.0.0.1:41234'   …   await registry.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createSign, randomBytes as cryptoRandom } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bcrypt } from 'hash-wasm';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

/** Why a registry cannot run here, or undefined when it can. */
export function registryUnavailable(): string | undefined {
  if (!existsSync(REGISTRY_BINARY)) return `${REGISTRY_BINARY} missing (scripts/install-system-deps.sh installs docker-registry)`;
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl missing (needed for the token server certificate)';
  return undefined;
}

export type AuthMode = 'none' | 'basic' | 'token';

export interface TokenRequest {
  scope: string[];
  user: string | undefined;
  service: string | null;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as a docker reference names it. */
  host: string;
  url: string;
  /** The token server (auth: 'token'), e.g. to count the tokens it issued. */
  token?: { url: string; requests: TokenRequest[] };
  /** Everything the registry logged so far (the access log shows mounts and uploads). */
  log(): string;
  stop(): Promise<void>;
  /** Synchronous last resort for exit handlers: kills the registry, removes its files. */
  kill(): void;
}

export interface RegistryOptions {
  auth?: AuthMode;
  users?: Record<string, string>;
  /** Lifetime of issued tokens in seconds (token mode). */
  tokenSeconds?: number;
  /** Let the process exit while the registry runs (benchmarks stop it on exit). */
  unref?: boolean;
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const users = options.users ?? { alice: 'wonderland' };
  const dir = mkdtempSync(join(tmpdir(), 'layerkit-registry-'));
  let authBlock = '';
  let tokenServer: TokenServer | undefined;
  if (auth === 'basic') {
    const lines = await Promise.all(Object.entries(users).map(async ([user, password]) => `${user}:${await bcryptHash(password)}`));
    writeFileSync(join(dir, 'htpasswd'), lines.join('\n') + '\n');
    authBlock = `auth:\n  htpasswd:\n    realm: layerkit-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth === 'token') {
    tokenServer = await startTokenServer(dir, users, options.tokenSeconds ?? 300);
    authBlock = `auth:\n  token:\n    realm: ${tokenServer.url}/token\n    service: layerkit-test\n    issuer: layerkit-test-issuer\n    rootcertbundle: ${join(dir, 'cert.pem')}\n`;
  }
  const logFile = join(dir, 'registry.log');
  const logged = () => readFileSync(logFile, 'utf8');
  const { port, child } = await serveOnFreePort(dir, authBlock, logFile, logged);
  if (options.unref) child.unref();
  const url = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    url,
    token: tokenServer && { url: tokenServer.url, requests: tokenServer.requests },
    log: logged,
    async stop() {
      await stopChild(child);
      await tokenServer?.close();
      rmSync(dir, { recursive: true, force: true });
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the registry of `dir` on a free port. freePort closes the port before the registry binds
 * it, so another socket can take it in between: a registry that exits then (address in use) is
 * started again on a new port, twice at most.
 */
async function serveOnFreePort(dir: string, authBlock: string, logFile: string, log: () => string): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log:\n  level: info\n  formatter: text',
      `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false`,
      `http:\n  addr: 127.0.0.1:${port}\n  secret: ${cryptoRandom(16).toString('hex')}`,
      authBlock,
    ].join('\n');
    writeFileSync(join(dir, 'config.yml'), config);
    // The log goes to a file, not a pipe: a test blocked in spawnSync must not stall the registry on a full pipe.
    const logFd = openSync(logFile, 'w');
    const child = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    if (await waitUntilServing(port, child, log, attempt < 3)) return { port, child };
  }
}

/**
 * Waits until `child` serves on `port`: its log says it listens there and /v2/ answers (an answer
 * alone could come from another server that holds the port). False when the child exits first
 * and `retry` allows another port; otherwise an exit or a timeout throws.
 */
async function waitUntilServing(port: number, child: ChildProcess, log: () => string, retry: boolean): Promise<boolean> {
  const url = `http://127.0.0.1:${port}`;
  const listening = `listening on 127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) {
      if (retry) return false;
      throw new Error(`docker-registry exited (${child.exitCode}):\n${log()}`);
    }
    try {
      if (!log().includes(listening)) throw new Error('not listening yet');
      const response = await fetch(`${url}/v2/`);
      await response.body?.cancel();
      if (child.exitCode === null) return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await stopChild(child);
  throw new Error(`docker-registry did not start:\n${log()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** An htpasswd line's hash: the registry accepts only bcrypt, which hash-wasm computes. */
export async function bcryptHash(password: string): Promise<string> {
  return bcrypt({ password, salt: new Uint8Array(cryptoRandom(16)), costFactor: 5, outputType: 'encoded' });
}

interface TokenServer {
  url: string;
  requests: TokenRequest[];
  close(): Promise<void>;
}

/**
 * Docker's token protocol: GET /token?service=…&scope=repository:NAME:pull,push, optional basic
 * auth, answers a JWT (RS256, x5c = our self-signed certificate, which the registry trusts).
 * Anonymous users get pull only; a known user gets what they asked for.
 */
async function startTokenServer(dir: string, users: Record<string, string>, seconds: number): Promise<TokenServer> {
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'),
    '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=layerkit-test-token'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const certDer = readFileSync(join(dir, 'cert.pem'), 'utf8').replace(/-----[^-]+-----|\s/g, '');
  const requests: TokenRequest[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const user = basicUser(request, users);
    if (user === null) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end('{"details":"bad credentials"}');
      return;
    }
    const scope = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    requests.push({ scope, user, service: url.searchParams.get('service') });
    const access = scope.map((s) => {
      const [type, name, actions] = splitScope(s);
      const granted = actions.split(',').filter((a) => user !== undefined || a === 'pull');
      return { type, name, actions: granted };
    });
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(key, certDer, {
      iss: 'layerkit-test-issuer', sub: user ?? '', aud: url.searchParams.get('service') ?? '', exp: now + seconds,
      nbf: now - 10, iat: now, jti: cryptoRandom(8).toString('hex'), access,
    });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ token, access_token: token, expires_in: seconds, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

/** `repository:a/b:pull,push` → type, name, actions (names may hold `:` only for registry:catalog:*). */
function splitScope(scope: string): [string, string, string] {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  return [scope.slice(0, first), scope.slice(first + 1, last), scope.slice(last + 1)];
}

/** undefined = anonymous; null = wrong credentials; else the user name. */
function basicUser(request: IncomingMessage, users: Record<string, string>): string | undefined | null {
  const header = request.headers.authorization;
  if (!header) return undefined;
  if (!header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return users[user] !== undefined && users[user] === password ? user : null;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function signJwt(key: string, certDer: string, claims: object): string {
  const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
  const body = b64url(JSON.stringify(claims));
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key);
  return `${head}.${body}.${b64url(signature)}`;
}

export interface TestImage {
  image: import('../src/image/types.ts').Image;
  manifestBytes: Uint8Array;
  manifestDigest: string;
  configBytes: Uint8Array;
  layers: { bytes: Uint8Array; digest: string; diffID: string }[];
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * An image in memory made of the given layer tars (gzipped by node:zlib), with a config whose
 * diff_ids are the tars' digests: an `Image` to push, and its bytes to compare against.
 */
export function testImage(tars: Uint8Array[], options: { architecture?: string; mediaType?: 'oci' | 'docker'; label?: string } = {}): TestImage {
  const docker = options.mediaType === 'docker';
  const layers = tars.map((tar) => {
    const bytes = new Uint8Array(gzipSync(tar, { level: 1 }));
    return { bytes, digest: sha256(bytes), diffID: sha256(tar), tar };
  });
  const configBytes = new TextEncoder().encode(JSON.stringify({
    architecture: options.architecture ?? 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/bin'], Labels: options.label ? { label: options.label } : null },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
  }));
  const manifestType = docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json';
  const manifest = {
    schemaVersion: 2, mediaType: manifestType,
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length },
    layers: layers.map((l) => ({ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.bytes.length })),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const manifestDigest = sha256(manifestBytes);
  const stream = (bytes: Uint8Array) => async () => new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  const image = {
    manifest: async () => manifest,
    rawManifest: async () => manifestBytes,
    manifestDescriptor: async () => ({ mediaType: manifestType, digest: manifestDigest, size: manifestBytes.length }),
    config: async () => JSON.parse(new TextDecoder().decode(configBytes)),
    rawConfig: async () => configBytes,
    layers: async () => layers.map((l) => ({ digest: l.digest, diffID: l.diffID, size: l.bytes.length, mediaType: manifest.layers[0]!.mediaType, compressed: stream(l.bytes), uncompressed: stream(l.tar) })),
  } as unknown as TestImage['image'];
  return { image, manifestBytes, manifestDigest, configBytes, layers: layers.map(({ bytes, digest, diffID }) => ({ bytes, digest, diffID })) };
}

/** A plain ustar archive of regular files (name → bytes), enough for a real layer. */
export function tarOf(files: Record<string, Uint8Array>): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, data] of Object.entries(files)) {
    const header = new Uint8Array(512);
    const put = (text: string, offset: number) => header.set(new TextEncoder().encode(text), offset);
    put(name, 0);
    put('0000644\0', 100); put('0000000\0', 108); put('0000000\0', 116);
    put(data.length.toString(8).padStart(11, '0') + '\0', 124);
    put('14000000000\0', 136);
    put('        ', 148);
    put('0', 156);
    put('ustar\0', 257); put('00', 263);
    const sum = header.reduce((a, b) => a + b, 0);
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of blocks) { out.set(b, offset); offset += b.length; }
  return out;
}

/**
 * Writes an OCI image layout at `dir` holding `images` under `tag`: one image is named directly,
 * several go into an image index (one platform each) and the index is named.
 * Returns the digest and bytes of what the tag names.
 */
export function writeLayout(dir: string, tag: string, images: TestImage[]): { digest: string; bytes: Uint8Array; mediaType: string } {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes: Uint8Array) => writeFileSync(join(dir, 'blobs', 'sha256', sha256(bytes).slice(7)), bytes);
  for (const image of images) {
    for (const layer of image.layers) put(layer.bytes);
    put(image.configBytes);
    put(image.manifestBytes);
  }
  let top: { digest: string; bytes: Uint8Array; mediaType: string };
  if (images.length === 1) {
    top = { digest: images[0]!.manifestDigest, bytes: images[0]!.manifestBytes, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  } else {
    const index = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: images.map((image) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.manifestDigest, size: image.manifestBytes.length,
        platform: { architecture: JSON.parse(new TextDecoder().decode(image.configBytes)).architecture, os: 'linux' },
      })),
    }));
    put(index);
    top = { digest: sha256(index), bytes: index, mediaType: 'application/vnd.oci.image.index.v1+json' };
  }
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: top.mediaType, digest: top.digest, size: top.bytes.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return top;
}
