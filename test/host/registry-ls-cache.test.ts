// `ls docker://…` reads straight from the registry and streams only the layers it needs: the
// first look streams each layer once (to index it, verified), the second streams none (the
// store's LayerIndex cache, keyed by diffID), `cat` streams only the layer holding the file, and
// no remote layer is ever stored as a blob by ls/cat/inspect. The registry (Debian's
// docker-registry on 127.0.0.1) is reached through a counting HTTP proxy on [::1], so the same
// run proves `docker://[::1]:PORT/repo:tag` works; a zone id is refused before any request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCommand, layerkit, type CliResult } from '../_cli.ts';
import { registryUnavailable, startRegistry, type TestRegistry } from '../_registry.ts';
import { skip } from '../_setup.ts';
import { cutImage } from '../_cut-image.ts';

const sample = new URL('../../sample/oci', import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), 'layerkit-registry-ls-'));
const env = { ...process.env, LAYERKIT_HOME: join(home, 'store'), DOCKER_CONFIG: join(home, 'docker') };
const top = JSON.parse(readFileSync(join(sample, 'index.json'), 'utf8')).manifests[0].digest as string;
const layers = (JSON.parse(readFileSync(join(sample, 'blobs', 'sha256', top.slice(7)), 'utf8')).layers as { digest: string }[]).map((l) => l.digest);

let registry: TestRegistry | undefined;
let proxy: { server: Server; port: number; requests: string[] } | undefined;
let unavailable = registryUnavailable();

/** An HTTP proxy on [::1] in front of the registry that records every request line. */
async function countingProxy(port: number): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '::1', resolve));
  return { server, port: (server.address() as { port: number }).port, requests };
}

/** The CLI without blocking this process (the proxy answers from its event loop). */
function run(...args: string[]): Promise<CliResult> {
  const [command, ...rest] = cliCommand();
  return new Promise((resolve) => {
    const child = spawn(command!, [...rest, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

test.before(async () => {
  if (unavailable) return;
  registry = await startRegistry();
  try {
    proxy = await countingProxy(Number(registry.host.split(':')[1]));
  } catch (error) {
    unavailable = `no IPv6 loopback here: ${(error as Error).message}`;
  }
});
test.after(async () => {
  proxy?.server.close();
  await registry?.stop();
  rmSync(home, { recursive: true, force: true });
});

function check(name: string, fn: () => Promise<void>) {
  test(name, async () => (unavailable ? skip(name, unavailable) : fn()));
}

/** How many times each layer's blob was fetched since `from`. */
const layerFetches = (from: number) => layers.map((d) => proxy!.requests.slice(from).filter((r) => r === `GET /v2/team/sample/blobs/${d}`).length);
const storedLayers = () => (existsSync(join(home, 'store', 'blobs', 'sha256')) ? readdirSync(join(home, 'store', 'blobs', 'sha256')).filter((h) => layers.includes(`sha256:${h}`)) : []);

check('ls docker://[::1]:PORT/… streams each layer once, the second ls none, cat only the layer it reads', async () => {
  const pushed = layerkit(['push', `oci:${sample}:latest`, `docker://${registry!.host}/team/sample:v1`, '--tls-verify=false'], { env });
  assert.is(pushed.status, 0, pushed.stderr);
  const ref = `docker://[::1]:${proxy!.port}/team/sample:v1`;
  const expected = layerkit(['ls', '-R', `oci:${sample}:latest`], { env: { ...env, LAYERKIT_HOME: join(home, 'other') } });
  let mark = proxy!.requests.length;
  const first = await run('ls', '-R', ref, '--tls-verify=false');
  assert.is(first.status, 0, first.stderr);
  assert.is(first.stdout, expected.stdout, 'the same tree as the OCI layout');
  assert.equal(layerFetches(mark), [1, 1], 'each layer streamed once');
  mark = proxy!.requests.length;
  const second = await run('ls', '-R', ref, '--tls-verify=false');
  assert.is(second.stdout, first.stdout);
  assert.equal(layerFetches(mark), [0, 0], 'the second ls streams no layer');
  assert.ok(proxy!.requests.slice(mark).some((r) => r.startsWith('GET /v2/team/sample/manifests/v1')), 'the manifest is still asked for');
  mark = proxy!.requests.length;
  const path = await run('ls', ref, 'tmp', '--tls-verify=false');
  assert.is(path.status, 0, path.stderr);
  assert.match(path.stdout, / L1 tmp\/newfile\n$/);
  assert.equal(layerFetches(mark), [0, 0], 'ls PATH after a first look streams nothing');
  mark = proxy!.requests.length;
  const cat = await run('cat', ref, 'tmp/newfile', '--tls-verify=false');
  assert.is(cat.status, 0, cat.stderr);
  assert.is(cat.stdout, 'Hello world\n');
  assert.equal(layerFetches(mark), [1, 2], 'the first cat builds the digest index (each layer once), then reads the body from layer 1');
  mark = proxy!.requests.length;
  const again = await run('cat', ref, 'tmp/newfile', '--tls-verify=false');
  assert.is(again.stdout, 'Hello world\n');
  assert.equal(layerFetches(mark), [0, 1], 'then cat streams only the layer holding the file');
  mark = proxy!.requests.length;
  const inspect = await run('inspect', ref, '--tls-verify=false');
  assert.is(inspect.status, 0, inspect.stderr);
  assert.is(JSON.parse(inspect.stdout).Manifest.digest, top);
  assert.equal(layerFetches(mark), [0, 0], 'inspect streams no layer');
  assert.equal(storedLayers(), [], 'ls, cat and inspect store no remote layer as a blob');
});

check('a first ls docker://… PATH streams only the layers above the one that decides PATH', async () => {
  const layout = join(home, 'cut');
  const digests = await cutImage(layout);
  const pushed = layerkit(['push', `oci:${layout}:latest`, `docker://${registry!.host}/team/cut:v1`, '--tls-verify=false'], { env });
  assert.is(pushed.status, 0, pushed.stderr);
  const fetches = (from: number) => digests.map((d) => proxy!.requests.slice(from).filter((r) => r === `GET /v2/team/cut/blobs/${d}`).length);
  const mark = proxy!.requests.length;
  const etc = await run('ls', `docker://[::1]:${proxy!.port}/team/cut:v1`, 'etc', '--tls-verify=false');
  assert.is(etc.status, 0, etc.stderr);
  assert.match(etc.stdout, / L1 etc\/hostname\n$/);
  assert.equal(fetches(mark), [0, 1, 1], 'layer 0 (under the opaque etc) is not streamed');
});

check('a zone id ([fe80::1%eth0]) is not a docker reference: refused, nothing sent', async () => {
  const mark = proxy!.requests.length;
  for (const ref of [`docker://[fe80::1%eth0]:${proxy!.port}/team/sample:v1`, `docker://[::1%lo]:${proxy!.port}/team/sample:v1`]) {
    const r = await run('ls', ref, '--tls-verify=false');
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /zone.*\(BAD_REFERENCE\)\n$/);
  }
  assert.is(proxy!.requests.length, mark);
});

test.run();
