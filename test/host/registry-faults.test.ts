// A registry that misbehaves, on loopback: each fault gets its verdict (a typed error, a resume, a
// retry) and nothing unverified reaches the store. Credentials never reach another origin.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { RegistryClient } from '../../src/registry/client.ts';
import { pullImage } from '../../src/registry/pull.ts';
import { parseDockerReference } from '../../src/registry/reference.ts';
import type { Digest } from '../../src/digest/digest.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { type FaultHandler, type FaultServer, startFaultServer } from '../_fault-server.ts';
import { randomBytes, ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const blob = randomBytes(300_000, 11);
const blobDigest = sha(blob);
const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [blobDigest] } }));
const manifest = new TextEncoder().encode(JSON.stringify({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blobDigest, size: blob.length }],
}));
const OCI = 'application/vnd.oci.image.manifest.v1+json';

const servers: FaultServer[] = [];
test.after(async () => { for (const s of servers) await s.close(); });

/** A registry that answers /v2/, the manifest, the config, and hands blob GETs to `blobHandler`. */
async function faultRegistry(blobHandler: FaultHandler, manifestHandler?: FaultHandler): Promise<FaultServer> {
  const server = await startFaultServer((req, res) => {
    if (req.path === '/v2/') return res.send(200, { 'content-type': 'application/json' }, '{}');
    if (req.path.includes('/manifests/')) return manifestHandler ? manifestHandler(req, res) : res.send(200, { 'content-type': OCI }, manifest);
    if (req.path.endsWith(sha(config))) return res.send(200, {}, config);
    if (req.path.includes('/blobs/')) return blobHandler(req, res);
    res.send(404, {}, '{"errors":[{"code":"NOT_FOUND","message":"no"}]}');
  });
  servers.push(server);
  return server;
}

const clientFor = (server: FaultServer, extra: object = {}) =>
  new RegistryClient({ registry: server.host, insecure: true, credentials: null, transport: { backoffMs: 2 }, ...extra });

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return 'no error';
}

/** Pulls into a verifying store (MemoryStore keeps BlobStore's contract); `stored` lists what became visible. */
async function pullInto(server: FaultServer) {
  const store = new MemoryStore();
  const result = await code(pullImage(clientFor(server), parseDockerReference(`${server.host}/app:1`), store));
  const blobs = new Set<string>(await store.listBlobs());
  const names = await store.listNames();
  return { result, store: { blobs: { has: (d: string) => blobs.has(d), size: blobs.size }, names: { size: names.length } }, read: (d: Digest) => store.readBlob(d, 1 << 30) };
}

test('a blob with one flipped byte: DIGEST_MISMATCH, the layer and the name never reach the store', async () => {
  const flipped = blob.slice();
  flipped[12345] = flipped[12345]! ^ 1;
  const server = await faultRegistry((_req, res) => res.send(200, {}, flipped));
  const { result, store } = await pullInto(server);
  assert.is(result, 'DIGEST_MISMATCH');
  assert.not.ok(store.blobs.has(blobDigest));
  assert.is(store.names.size, 0);
});

test('the client verifies on its own too: a flipped byte read through openBlob/readBlob is DIGEST_MISMATCH', async () => {
  const flipped = blob.slice();
  flipped[99] = flipped[99]! ^ 4;
  const server = await faultRegistry((_req, res) => res.send(200, {}, flipped));
  assert.is(await code(clientFor(server).readBlob('app', { digest: blobDigest, size: blob.length }, 1 << 20)), 'DIGEST_MISMATCH');
  assert.is(await code(new Response(clientFor(server).openBlob('app', { digest: blobDigest, size: blob.length })).arrayBuffer()), 'DIGEST_MISMATCH');
});

test('a truncated blob (served short every time): SIZE_MISMATCH after bounded resumes, nothing stored', async () => {
  const server = await faultRegistry((_req, res) => res.send(200, {}, blob.subarray(0, 1000)));
  const { result, store } = await pullInto(server);
  assert.is(result, 'SIZE_MISMATCH');
  assert.not.ok(store.blobs.has(blobDigest));
  const gets = server.requests.filter((r) => r.path.endsWith(blobDigest)).length;
  assert.ok(gets >= 2 && gets <= 7, `resumed a bounded number of times (${gets} GETs)`);
});

test('a blob longer than its descriptor: refused at size+1, nothing stored', async () => {
  const server = await faultRegistry((_req, res) => res.send(200, {}, new Uint8Array([...blob, 0])));
  assert.is((await pullInto(server)).result, 'SIZE_MISMATCH');
});

test('a connection cut mid-blob is resumed with Range from the byte where it stopped', async () => {
  let first = true;
  const server = await faultRegistry((req, res) => {
    if (first) {
      first = false;
      return res.cut(200, {}, blob.subarray(0, 100_000), blob.length);
    }
    const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.send(206, { 'content-range': `bytes ${from}-${blob.length - 1}/${blob.length}` }, blob.subarray(from));
  });
  const { result, read } = await pullInto(server);
  assert.is(result, 'no error');
  const gets = server.requests.filter((r) => r.path.endsWith(blobDigest));
  assert.is(gets.length, 2);
  assert.is(gets[1]!.headers.range, `bytes=${100_000}-`);
  assert.equal(sha(await read(blobDigest)), blobDigest);
});

test('a resume answered with 200 (Range ignored) drops the bytes already received and still verifies', async () => {
  let first = true;
  const server = await faultRegistry((_req, res) => {
    if (first) { first = false; return res.cut(200, {}, blob.subarray(0, 50_000), blob.length); }
    res.send(200, {}, blob);
  });
  const { result, read } = await pullInto(server);
  assert.is(result, 'no error');
  assert.equal(sha(await read(blobDigest)), blobDigest);
});

test('500 then success: retried, pulled; 429 with Retry-After then success: retried', async () => {
  for (const status of [500, 503, 429]) {
    let failures = 1;
    const server = await faultRegistry((_req, res) => (failures-- > 0 ? res.send(status, { 'retry-after': '0' }, 'busy') : res.send(200, {}, blob)));
    const { result, store } = await pullInto(server);
    assert.is(result, 'no error', `after ${status}`);
    assert.ok(store.blobs.has(blobDigest));
    assert.is(server.requests.filter((r) => r.path.endsWith(blobDigest)).length, 2);
  }
});

test('a registry that always answers 500: bounded attempts, then REGISTRY_ERROR', async () => {
  const server = await faultRegistry((_req, res) => res.send(500, {}, '{"errors":[{"code":"UNKNOWN","message":"boom"}]}'));
  const { result, store } = await pullInto(server);
  assert.is(result, 'REGISTRY_ERROR');
  assert.is(server.requests.filter((r) => r.path.endsWith(blobDigest)).length, 4);
  assert.not.ok(store.blobs.has(blobDigest));
});

test('nothing listening: REGISTRY_UNREACHABLE after bounded retries', async () => {
  const server = await startFaultServer(() => {});
  const host = server.host;
  await server.close();
  const retries: number[] = [];
  const client = new RegistryClient({ registry: host, insecure: true, credentials: null, transport: { backoffMs: 1, onRetry: (i) => retries.push(i.attempt) } });
  assert.is(await code(client.getManifest('app', '1')), 'REGISTRY_UNREACHABLE');
  assert.equal(retries, [1, 2, 3]);
});

test('a manifest of the wrong media type, or whose Content-Type contradicts it: refused', async () => {
  const cases: [string, string][] = [
    ['text/html', 'MANIFEST_INVALID'], // the document says OCI manifest, the header says html
    ['application/vnd.oci.image.index.v1+json', 'MANIFEST_INVALID'],
    ['application/vnd.docker.distribution.manifest.v1+prettyjws', 'MANIFEST_UNSUPPORTED'],
  ];
  for (const [type, expected] of cases) {
    const server = await faultRegistry((_req, res) => res.send(200, {}, blob), (_req, res) => res.send(200, { 'content-type': type }, manifest));
    const { result, store } = await pullInto(server);
    assert.is(result, expected, type);
    assert.is(store.blobs.size, 0);
  }
  const both = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI, manifests: [], layers: [], config: {} }));
  const server = await faultRegistry((_req, res) => res.send(200, {}, blob), (_req, res) => res.send(200, { 'content-type': OCI }, both));
  assert.is((await pullInto(server)).result, 'MANIFEST_INVALID');
});

test('a manifest over 4 MiB is refused (declared or not), a pull by digest hashes what arrived', async () => {
  const big = new Uint8Array(5 << 20).fill(32);
  const server = await faultRegistry((_req, res) => res.send(200, {}, blob), (_req, res) => res.send(200, { 'content-type': OCI }, big));
  assert.is((await pullInto(server)).result, 'DOCUMENT_TOO_LARGE');
  const liar = await faultRegistry((_req, res) => res.send(200, {}, blob));
  const other = sha(new TextEncoder().encode('something else'));
  assert.is(await code(clientFor(liar).getManifest('app', other)), 'DIGEST_MISMATCH');
});

test('a huge error body is read only up to 64 KiB and gives one bounded message', async () => {
  const server = await faultRegistry((_req, res) => res.send(404, {}, 'x'.repeat(1 << 20)));
  const started = Date.now();
  const error = await clientFor(server).readBlob('app', { digest: blobDigest, size: blob.length }).catch((e) => e);
  assert.is(error.code, 'BLOB_UNKNOWN');
  assert.ok(error.message.length < 1000);
  assert.ok(Date.now() - started < 5000);
});

test('a redirect to another host gets no Authorization; the registry origin got it', async () => {
  const storage = await startFaultServer((_req, res) => res.send(200, {}, blob));
  servers.push(storage);
  const registry = await startFaultServer((req, res) => {
    if (!req.headers.authorization) return res.send(401, { 'www-authenticate': 'Basic realm="test"' }, '');
    if (req.path === '/v2/') return res.send(200, {}, '{}');
    // Another host for the same machine: a different origin as far as credentials go.
    res.send(307, { location: `http://localhost:${storage.port}/blob?sig=1` }, '');
  });
  servers.push(registry);
  const client = new RegistryClient({ registry: registry.host, insecure: true, credentials: { username: 'u', password: 'p' }, transport: { backoffMs: 1 } });
  const bytes = await client.readBlob('app', { digest: blobDigest, size: blob.length }, 1 << 20);
  assert.equal(sha(bytes), blobDigest);
  assert.ok(registry.requests.some((r) => r.headers.authorization === `Basic ${btoa('u:p')}`));
  assert.is(storage.requests.length, 1);
  assert.is(storage.requests[0]!.headers.authorization, undefined);
  assert.is(storage.requests[0]!.headers.cookie, undefined);
});

test('a foreign layer (descriptor urls) is never fetched from its URL, with or without credentials', async () => {
  const foreign = await startFaultServer((_req, res) => res.send(401, { 'www-authenticate': 'Basic realm="x"' }, ''));
  servers.push(foreign);
  const withUrls = new TextEncoder().encode(JSON.stringify({
    ...JSON.parse(new TextDecoder().decode(manifest)),
    layers: [{ mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar', digest: blobDigest, size: blob.length, urls: [`${foreign.url}/layer`] }],
  }));
  const server = await faultRegistry((_req, res) => res.send(200, {}, blob), (_req, res) => res.send(200, { 'content-type': OCI }, withUrls));
  const { result, store } = await pullInto(server);
  assert.is(result, 'FOREIGN_LAYER');
  assert.is(foreign.requests.length, 0);
  assert.is(store.blobs.size, 0);
});

test('an upload answered 500 starts over and completes; the bytes that arrived are the blob', async () => {
  let failures = 1;
  const server = await startFaultServer((req, res) => {
    if (req.path === '/v2/') return res.send(200, {}, '{}');
    if (req.method === 'HEAD') return res.send(404, {}, '');
    if (req.method === 'POST') return res.send(202, { location: '/v2/app/blobs/uploads/u1?state=x' }, '');
    if (req.method === 'PUT' && failures-- > 0) return res.send(500, {}, '{"errors":[{"code":"UNKNOWN","message":"disk full"}]}');
    if (req.method === 'PUT') return sha(req.body) === blobDigest ? res.send(201, {}, '') : res.send(400, {}, '{"errors":[{"code":"DIGEST_INVALID","message":"bad"}]}');
    res.send(404, {}, '');
  });
  servers.push(server);
  const outcome = await clientFor(server).pushBlob('app', { digest: blobDigest, size: blob.length }, async () => new Blob([blob as Uint8Array<ArrayBuffer>]).stream());
  assert.equal(outcome, { kind: 'pushed' });
  const puts = server.requests.filter((r) => r.method === 'PUT');
  assert.is(puts.length, 2);
  assert.ok(puts[1]!.path.includes(`digest=${encodeURIComponent(blobDigest)}`), puts[1]!.path);
});

test('a token realm on another host (plain http, link-local, private) is refused before any request', async () => {
  const tokenServer = await startFaultServer((_req, res) => res.send(200, { 'content-type': 'application/json' }, '{"token":"t"}'));
  servers.push(tokenServer);
  for (const realm of [`http://localhost:${tokenServer.port}/token`, 'http://169.254.169.254/latest/meta-data', 'https://10.0.0.1/token', 'https://[::1]/token', 'ftp://example.com/']) {
    const registry = await startFaultServer((_req, res) => res.send(401, { 'www-authenticate': `Bearer realm="${realm}",service="x"` }, ''));
    servers.push(registry);
    assert.is(await code(clientFor(registry).getManifest('app', '1')), 'AUTH_REALM_REFUSED', realm);
  }
  assert.is(tokenServer.requests.length, 0);
});

test('a token server answering 1 MiB of JSON: DOCUMENT_TOO_LARGE, not read to the end', async () => {
  const tokenServer = await startFaultServer((_req, res) => res.send(200, { 'content-type': 'application/json' }, `{"token":"${'a'.repeat(1 << 20)}"}`));
  servers.push(tokenServer);
  const registry = await startFaultServer((_req, res) => res.send(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${tokenServer.port}/token",service="x"` }, ''));
  servers.push(registry);
  assert.is(await code(clientFor(registry).getManifest('app', '1')), 'DOCUMENT_TOO_LARGE');
});

test('a token server that redirects is refused (no SSRF through the realm)', async () => {
  const tokenServer = await startFaultServer((_req, res) => res.send(302, { location: 'http://169.254.169.254/' }, ''));
  servers.push(tokenServer);
  const registry = await startFaultServer((_req, res) => res.send(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${tokenServer.port}/token"` }, ''));
  servers.push(registry);
  assert.is(await code(clientFor(registry).getManifest('app', '1')), 'AUTH_FAILED');
});

test.run();
