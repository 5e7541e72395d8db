// IPv6 registry hosts: `[::1]:5000/repo:tag` parses the way distribution/reference's grammar
// reads it (ipv6address = "[" hex and colons "]", then an optional port) in both the registry's
// parser and the CLI's transport parser, and the client asks `http://[::1]:5000/v2/…`. A zone id
// (`[fe80::1%eth0]`) is outside that grammar and cannot be put in a URL: refused with a typed
// error that names it, before any request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseReference } from '../../src/formats/transports.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { familiarName, parseDockerReference } from '../../src/registry/reference.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('bracketed IPv6 hosts, with and without port, tag or digest', () => {
  assert.equal(parseDockerReference('[::1]:5000/repo:tag'), { registry: '[::1]:5000', repository: 'repo', tag: 'tag' });
  assert.equal(parseDockerReference('docker://[2001:db8::1]/team/app'), { registry: '[2001:db8::1]', repository: 'team/app', tag: 'latest' });
  assert.equal(parseDockerReference(`[::1]:5000/repo@${DIGEST}`), { registry: '[::1]:5000', repository: 'repo', digest: DIGEST });
  assert.is(familiarName(parseDockerReference('[::1]:5000/repo:tag')), '[::1]:5000/repo:tag');
  const cli = parseReference('docker://[::1]:5000/team/app:v1');
  assert.equal(cli, { transport: 'docker', name: { domain: '[::1]:5000', path: 'team/app', tag: 'v1' } });
});

test('the client builds http://[::1]:PORT/v2/… URLs for an IPv6 host', async () => {
  const urls: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    urls.push(String(input instanceof Request ? input.url : input));
    return new Response('{"tags":["v1"],"name":"repo"}', { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  const client = new RegistryClient({ registry: '[::1]:5000', insecure: true, credentials: null, transport: { fetch, attempts: 1 } });
  assert.equal(await client.tags('repo'), ['v1']);
  assert.ok(urls.length > 0);
  for (const url of urls) assert.is(new URL(url).host, '[::1]:5000', url);
  assert.ok(urls.some((u) => u.startsWith('http://[::1]:5000/v2/repo/tags/list')), urls.join());
});

test('a zone id is refused with a typed error that names it (both parsers)', () => {
  for (const text of ['[fe80::1%eth0]:5000/repo:tag', 'docker://[::1%lo]/repo', '[fe80::1%25eth0]/a/b']) {
    try {
      parseDockerReference(text);
      assert.unreachable(text);
    } catch (error) {
      assert.is((error as { code?: string }).code, 'REFERENCE_INVALID', text);
      assert.match((error as Error).message, /zone id/);
    }
    try {
      parseReference(text.startsWith('docker://') ? text : `docker://${text}`);
      assert.unreachable(text);
    } catch (error) {
      assert.is((error as { code?: string }).code, 'BAD_REFERENCE', text);
      assert.match((error as Error).message, /zone id/);
    }
  }
});

test.run();
