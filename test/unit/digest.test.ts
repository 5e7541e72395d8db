// The Digest type's strict parsing and the streaming hashers on every backend this runtime has.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import {
  createHasher, currentSha256Backend, digestBytes, digestStream, hashingStream, isLayerkitError, parseDigest, setSha256Backend,
} from '../../src/mod.ts';
import { hasNativeHash } from '../../src/digest/backends.ts';
import { randomBytes, randomSplits, ready } from '../_setup.ts';

test.before(async () => void (await ready()));
test.after.each(() => setSha256Backend(undefined));

const E3 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('parseDigest accepts sha256 and sha512 with lowercase hex', () => {
  assert.equal(parseDigest(E3).algorithm, 'sha256');
  assert.is(parseDigest(E3).hex, E3.slice(7));
  assert.is(parseDigest('sha512:' + 'ab'.repeat(64)).algorithm, 'sha512');
});

const BAD = [
  'sha256:' + 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
  'sha256:' + 'e3'.repeat(31),
  'sha256:' + 'e3'.repeat(33),
  'sha256:../../etc/passwd',
  'sha256:' + 'g'.repeat(64),
  'md5:d41d8cd98f00b204e9800998ecf8427e',
  'SHA256:' + 'e3'.repeat(32),
  'e3'.repeat(32),
  '',
  'sha256:',
  'sha512:' + 'ab'.repeat(32),
  'sha256:' + 'e3'.repeat(32) + '\n',
];
for (const bad of BAD) {
  test(`parseDigest refuses ${JSON.stringify(bad).slice(0, 40)}`, () => {
    try {
      parseDigest(bad);
      assert.unreachable('should have thrown');
    } catch (e) {
      assert.ok(isLayerkitError(e), 'a LayerkitError');
      assert.is((e as { code: string }).code, 'DIGEST_INVALID');
    }
  });
}

test('hashingStream passes bytes through unchanged and digests them on every backend', async () => {
  const data = randomBytes(300_000, 5);
  const backends = hasNativeHash() ? (['wasm', 'native'] as const) : (['wasm'] as const);
  for (const backend of backends) {
    const tap = hashingStream(await createHasher('sha256', backend));
    const parts = randomSplits(data, 9);
    const source = new ReadableStream<Uint8Array>({ start(c) { parts.forEach((p) => c.enqueue(p)); c.close(); } });
    const received: number[] = [];
    await source.pipeThrough(tap.stream).pipeTo(new WritableStream({ write(chunk) { received.push(...chunk); } }));
    assert.equal(new Uint8Array(received), data);
    assert.is(tap.result().digest, 'sha256:' + createHash('sha256').update(data).digest('hex'), backend);
    assert.is(tap.result().size, data.length);
  }
});

test('digestStream and digestBytes give sha256 and sha512', async () => {
  const data = randomBytes(100_000, 8);
  const stream = () => new ReadableStream<Uint8Array>({ start(c) { c.enqueue(data); c.close(); } });
  assert.is((await digestStream(stream())).digest, 'sha256:' + createHash('sha256').update(data).digest('hex'));
  assert.is((await digestStream(stream(), 'sha512')).digest, 'sha512:' + createHash('sha512').update(data).digest('hex'));
  assert.is(await digestBytes(data, 'sha256', 'wasm'), 'sha256:' + createHash('sha256').update(data).digest('hex'));
});

test('the backend can be chosen, and native is the default where the runtime has it', () => {
  assert.is(currentSha256Backend(), hasNativeHash() ? 'native' : 'wasm');
  setSha256Backend('wasm');
  assert.is(currentSha256Backend(), 'wasm');
});

test.run();
