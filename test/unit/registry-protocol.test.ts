// The registry protocol pieces that need no network: WWW-Authenticate parsing (containerd's and
// Go's cases, and hostile input), manifest checks, docker config lookups, redirect handling and
// the token flow over a scripted fetch, and the verified blob stream at random split points.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import type { Digest } from '../../src/digest/digest.ts';
import { verifiedBlobStream } from '../../src/registry/blob-stream.ts';
import { lookupCredentials, serialiseDockerConfig, withLogin, withoutLogin } from '../../src/registry/credentials.ts';
import { defaultTransport, send } from '../../src/registry/http.ts';
import { checkManifest } from '../../src/registry/manifest.ts';
import { RegistrySession } from '../../src/registry/session.ts';
import { parseChallenges } from '../../src/registry/www-authenticate.ts';
import { randomBytes, randomSplits, ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const enc = (s: string) => new TextEncoder().encode(s);

test('WWW-Authenticate: docker hub, several challenges, escapes; hostile headers stay bounded', () => {
  assert.equal(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: Object.assign(Object.create(null), { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' }) },
  ]);
  const two = parseChallenges('Basic realm="a, b", Bearer realm=x,error="insufficient_scope"');
  assert.equal(two.map((c) => c.scheme), ['basic', 'bearer']);
  assert.is(two[0]!.params.realm, 'a, b');
  assert.is(two[1]!.params.error, 'insufficient_scope');
  assert.is(parseChallenges('Bearer realm="a\\"b"')[0]!.params.realm, 'a"b');
  assert.equal(parseChallenges('Bearer realm="unterminated'), []);
  assert.equal(parseChallenges(''), []);
  assert.equal(parseChallenges('x'.repeat(20_000)), []);
  const many = parseChallenges(Array.from({ length: 100 }, (_, i) => `S${i} a=1`).join(', '));
  assert.is(many.length, 16);
  const params = parseChallenges(`Bearer ${Array.from({ length: 100 }, (_, i) => `p${i}=v`).join(',')}`);
  assert.is(Object.keys(params[0]!.params).length, 32);
});

const OCI = 'application/vnd.oci.image.manifest.v1+json';
const manifest = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI, config: { mediaType: 'x', digest: sha(enc('c')), size: 1 }, layers: [] }));

test('manifest checks: Content-Type must match, index+manifest refused, schema 1 refused', () => {
  assert.is(checkManifest(manifest, `${OCI}; charset=utf-8`, 'm').kind, 'manifest');
  const code = (fn: () => unknown) => { try { fn(); return 'ok'; } catch (e) { return (e as { code: string }).code; } };
  assert.is(code(() => checkManifest(manifest, 'application/vnd.docker.distribution.manifest.v2+json', 'm')), 'MANIFEST_INVALID');
  assert.is(code(() => checkManifest(enc('{"schemaVersion":1}'), 'application/json', 'm')), 'MANIFEST_UNSUPPORTED');
  assert.is(code(() => checkManifest(enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI, manifests: [], layers: [] })), OCI, 'm')), 'MANIFEST_INVALID');
  assert.is(code(() => checkManifest(enc('not json'), OCI, 'm')), 'MANIFEST_INVALID');
  assert.is(code(() => checkManifest(enc('{"schemaVersion":2}'), 'text/plain', 'm')), 'MANIFEST_UNSUPPORTED');
});

test('docker config: base64 auth, identitytoken, https:// keys, docker hub key, helpers; login/logout as docker writes', () => {
  const config = { auths: { 'https://registry.example.com/v1/': { auth: btoa('bob:pa:ss') }, 'https://index.docker.io/v1/': { identitytoken: 'refresh' } }, credHelpers: { 'gcr.io': 'gcloud' } };
  assert.equal(lookupCredentials(config, 'registry.example.com'), { username: 'bob', password: 'pa:ss' });
  assert.equal(lookupCredentials(config, 'docker.io'), { identityToken: 'refresh' });
  assert.equal(lookupCredentials(config, 'gcr.io'), { helper: 'gcloud' });
  assert.is(lookupCredentials(config, 'other.io'), undefined);
  assert.equal(lookupCredentials({ ...config, credsStore: 'desktop' }, 'other.io'), { helper: 'desktop' });
  const logged = withLogin({ credsStore: undefined, other: 1 }, 'docker.io', 'ann', 'pw');
  assert.equal(logged.auths, { 'https://index.docker.io/v1/': { auth: btoa('ann:pw') } });
  assert.is(logged.other, 1);
  assert.match(new TextDecoder().decode(serialiseDockerConfig(logged)), /^\{\n\t"/);
  const out = withoutLogin(logged, 'index.docker.io');
  assert.ok(out.removed);
  assert.equal(out.config.auths, {});
});

/** A scripted fetch: each call is recorded and answered by `answer`. */
function scripted(answer: (url: URL, init: RequestInit) => Response) {
  const calls: { url: string; headers: Record<string, string>; method: string; body?: string }[] = [];
  const fetch = (async (input: string, init: RequestInit = {}) => {
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    calls.push({ url: input, headers, method: init.method ?? 'GET', body: init.body instanceof Uint8Array ? new TextDecoder().decode(init.body) : undefined });
    return answer(new URL(input), init);
  }) as typeof globalThis.fetch;
  return { calls, transport: defaultTransport({ fetch, backoffMs: 1 }) };
}

test('redirects: credentials dropped for another host, port, scheme or subdomain, and stay dropped', async () => {
  for (const target of ['https://s3.example.net/b', 'https://a.example.com:444/b', 'http://a.example.com/b', 'https://www.a.example.com/b']) {
    const { calls, transport } = scripted((url) => url.href === 'https://a.example.com/blob'
      ? new Response(null, { status: 307, headers: { location: target } })
      : url.href === target ? new Response(null, { status: 302, headers: { location: 'https://a.example.com/again' } }) : new Response('ok'));
    const response = await send({ url: 'https://a.example.com/blob', method: 'GET', headers: { Authorization: 'Bearer t', Cookie: 'c=1' } }, transport);
    assert.is(await response.text(), 'ok');
    assert.is(calls[0]!.headers.authorization, 'Bearer t');
    assert.is(calls[1]!.headers.authorization, undefined, target);
    assert.is(calls[1]!.headers.cookie, undefined, target);
    assert.is(calls[2]!.headers.authorization, undefined, 'a→b→a does not get them back');
  }
  const same = scripted((url) => url.pathname === '/x' ? new Response(null, { status: 307, headers: { location: '/y' } }) : new Response('ok'));
  await send({ url: 'https://a.example.com/x', method: 'GET', headers: { authorization: 'Bearer t' } }, same.transport);
  assert.is(same.calls[1]!.headers.authorization, 'Bearer t', 'same origin keeps them');
  const loop = scripted(() => new Response(null, { status: 302, headers: { location: '/loop' } }));
  const error = await send({ url: 'https://a.example.com/loop', method: 'GET' }, loop.transport).catch((e) => e);
  assert.is(error.code, 'TOO_MANY_REDIRECTS');
});

test('token flow: challenge, token per scope cached, identity token POSTed as a refresh_token grant', async () => {
  const { calls, transport } = scripted((url, init) => {
    if (url.hostname === 'auth.example.com') return Response.json({ access_token: `tok-${url.searchParams.get('scope') ?? 'post'}`, expires_in: 300 });
    const auth = (init.headers as Record<string, string>).authorization;
    if (!auth) return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="reg"' } });
    return Response.json({ name: 'a', tags: ['1'] });
  });
  const session = new RegistrySession({ registry: 'reg.example.com', credentials: { username: 'u', password: 'p' }, transport });
  for (let i = 0; i < 3; i++) await session.request({ method: 'GET', path: '/v2/a/tags/list' }, ['repository:a:pull']);
  await session.request({ method: 'GET', path: '/v2/b/tags/list' }, ['repository:b:pull']);
  const tokenCalls = calls.filter((c) => c.url.startsWith('https://auth.example.com'));
  assert.is(tokenCalls.length, 2);
  assert.is(tokenCalls[0]!.headers.authorization, `Basic ${btoa('u:p')}`);
  assert.match(tokenCalls[0]!.url, /service=reg&scope=repository%3Aa%3Apull/);
  assert.is(calls.at(-1)!.headers.authorization, 'Bearer tok-repository:b:pull');

  const refresh = scripted((url, init) => url.hostname === 'auth.example.com'
    ? Response.json({ token: 'from-refresh' })
    : (init.headers as Record<string, string>).authorization ? new Response('{}') : new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="reg"' } }));
  const withIdentity = new RegistrySession({ registry: 'reg.example.com', credentials: { identityToken: 'secret-refresh' }, transport: refresh.transport });
  await withIdentity.request({ method: 'GET', path: '/v2/a/tags/list' }, ['repository:a:pull']);
  const post = refresh.calls.find((c) => c.url.startsWith('https://auth.example.com'))!;
  assert.is(post.method, 'POST');
  assert.equal(Object.fromEntries(new URLSearchParams(post.body)), { grant_type: 'refresh_token', refresh_token: 'secret-refresh', client_id: 'layerkit', service: 'reg', scope: 'repository:a:pull' });
});

test('token flow: a 401 with insufficient_scope fetches a token for the wider scope and retries once', async () => {
  const { calls, transport } = scripted((url, init) => {
    if (url.hostname === 'auth.example.com') return Response.json({ token: url.searchParams.getAll('scope').join('+') });
    const auth = (init.headers as Record<string, string>).authorization ?? '';
    if (!auth) return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example.com/t"' } });
    if (!auth.includes('push')) return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example.com/t",error="insufficient_scope",scope="repository:a:pull,push"' } });
    return new Response('{}');
  });
  const session = new RegistrySession({ registry: 'reg.example.com', credentials: null, transport });
  const response = await session.request({ method: 'GET', path: '/v2/a/x' }, ['repository:a:pull']);
  assert.is(response.status, 200);
  assert.is(calls.at(-1)!.headers.authorization, 'Bearer repository:a:pull+repository:a:pull,push');
});

test('verified blob stream: whole, at random split points, byte by byte; flipped, short and long inputs fail', async () => {
  const data = randomBytes(40_000, 5);
  const target = { digest: sha(data), size: data.length };
  const serve = (parts: Uint8Array[]) => async () => ({ start: 0, body: new ReadableStream<Uint8Array>({ start(c) { for (const p of parts) c.enqueue(p); c.close(); } }) });
  const read = async (parts: Uint8Array[], t = target) => new Uint8Array(await new Response(verifiedBlobStream(t, serve(parts), { resumes: 0 })).arrayBuffer());
  assert.equal(await read([data]), data);
  for (const seed of [1, 2, 3]) assert.equal(await read(randomSplits(data, seed)), data);
  assert.equal(await read(Array.from(data.subarray(0, 3000), (b) => new Uint8Array([b])), { digest: sha(data.subarray(0, 3000)), size: 3000 }), data.subarray(0, 3000));
  const flipped = data.slice();
  flipped[39_999] = flipped[39_999]! ^ 0x80;
  const fail = (parts: Uint8Array[]) => read(parts).then(() => 'ok', (e) => e.code);
  assert.is(await fail(randomSplits(flipped, 9)), 'DIGEST_MISMATCH');
  assert.is(await fail([data.subarray(0, 39_999)]), 'SIZE_MISMATCH');
  assert.is(await fail([data, new Uint8Array(1)]), 'SIZE_MISMATCH');
});

test.run();
