// Lookups in a merged union, one at a time and batched (lookupMany), against a Map built from the
// union's own path list and a lexical clean written here: every answer must agree, for paths that
// need cleaning, climb out, straddle the kernel's 16-byte scan blocks, are not ASCII, or hold NUL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildUnion, type UnionInput } from '../../src/core/union.ts';
import { core } from '../../src/core/wasm.ts';
import { randomInts, ready } from '../_setup.ts';

test.before(async () => void (await ready()));

/** The answer `lookup` must give: position, -1 absent, -2 the root, -3 climbs out. */
function expected(byPath: Map<string, number>, path: string): number {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { if (!out.length) return -3; out.pop(); } else out.push(part);
  }
  return out.length === 0 ? -2 : byPath.get(out.join('/')) ?? -1;
}

function makeUnion() {
  const layer: UnionInput[] = [];
  for (let d = 0; d < 40; d++) {
    const dir = `usr/share/${'long-directory-name-'.slice(0, d % 20)}d${d}`;
    layer.push({ type: 'dir', name: `${dir}/` });
    for (let f = 0; f < 30; f++) layer.push({ type: 'file', name: `${dir}/${f % 3 ? 'f' : 'ünï-'}${'x'.repeat(f)}` });
  }
  layer.push({ type: 'file', name: '.hidden' }, { type: 'file', name: 'etc/.wh.gone' }, { type: 'dir', name: 'etc/' });
  const union = buildUnion(core(), [layer]);
  const paths = Array.from({ length: union.count }, (_, i) => union.path(i));
  return { union, paths, byPath: new Map(paths.map((p, i) => [p, i])) };
}

/** Variants of a stored path that must find it, or not, after cleaning. */
function variants(path: string, pick: (n: number) => number): string[] {
  const parts = path.split('/');
  return [
    path, `/${path}`, `./${path}`, `${path}/`, `${path}/.`, `${path}//`, parts.join('//'), `${path}/..`,
    `${parts[0]}/../${path}`, `../${path}`, `${path}/../..`, `${path}x`, path.slice(0, pick(path.length + 1)),
    `${path}\0`, `/${'/'.repeat(pick(20))}${path}`, `${'./'.repeat(pick(12))}${path}`,
  ];
}

test('lookup and lookupMany agree with a Map and a lexical clean', () => {
  const { union, paths, byPath } = makeUnion();
  const pick = randomInts(11);
  const queries = ['', '/', '.', '..', '/..', 'etc', 'etc/gone', '.hidden', './.hidden', '/.hidden/', 'ünï', 'nothing/here'];
  for (const p of paths) queries.push(...variants(p, pick));
  const many = union.lookupMany(queries);
  let found = 0;
  queries.forEach((q, k) => {
    const want = expected(byPath, q.includes('\0') ? '\0absent' : q);
    assert.is(union.lookup(q), want, `lookup(${JSON.stringify(q)})`);
    assert.is(many[k], want, `lookupMany[${k}] (${JSON.stringify(q)})`);
    if (want >= 0) found++;
  });
  assert.ok(found > paths.length * 4, `most variants find their path (${found})`);
});

test('lookupMany: any batch size and a batch larger than the staging area', () => {
  const { union, paths, byPath } = makeUnion();
  const pick = randomInts(5);
  for (const size of [0, 1, 2, 17, 8191, 8192, 8193, 20_000]) {
    const queries = Array.from({ length: size }, () => paths[pick(paths.length)]! + (pick(4) === 0 ? '/' : ''));
    const got = union.lookupMany(queries);
    assert.is(got.length, size);
    queries.forEach((q, k) => assert.is(got[k], expected(byPath, q), `size ${size}, query ${k}`));
  }
  // one path longer than the staging area: absent, as lookup says
  const huge = 'a/'.repeat(core().inputSize);
  const got = union.lookupMany(['etc', huge, '.hidden']);
  assert.equal([...got], [byPath.get('etc'), -1, byPath.get('.hidden')]);
  assert.is(union.lookup(huge), -1);
});

test('a large union: every path and a near miss of each, one at a time and batched', () => {
  // 40k paths put thousands of other paths with the same 8-bit tag on the probe sequences, and
  // lengths on both sides of the bytes a record holds inline (56)
  const layer: UnionInput[] = [];
  for (let d = 0; d < 400; d++) {
    layer.push({ type: 'dir', name: `opt/${'n'.repeat(d % 60)}${d}/` });
    for (let f = 0; f < 99; f++) layer.push({ type: 'file', name: `opt/${'n'.repeat(d % 60)}${d}/${f}` });
  }
  const union = buildUnion(core(), [layer]);
  const paths = Array.from({ length: union.count }, (_, i) => union.path(i));
  const byPath = new Map(paths.map((p, i) => [p, i]));
  const queries = paths.flatMap((p) => [p, `${p}!`, `${p.slice(0, -1)}!`]);
  const many = union.lookupMany(queries);
  queries.forEach((q, k) => {
    const want = byPath.get(q) ?? -1;
    assert.is(many[k], want, `lookupMany(${q})`);
    assert.is(union.lookup(q), want, `lookup(${q})`);
  });
  assert.ok(paths.some((p) => p.length > 56) && paths.some((p) => p.length < 56), 'both lengths are covered');
});

test('unionFindMany never writes past the room it is given', () => {
  makeUnion();
  const c = core();
  const x = c.exports;
  const stride = Number(x.UNION_BATCH_STRIDE.value);
  const room = x.alloc(2 * stride + 64);
  try {
    new Uint8Array(x.memory.buffer, room, 2 * stride + 64).fill(0xab);
    // five paths where the caller expected two (a path held a NUL): refused, nothing answered
    const { written } = new TextEncoder().encodeInto('etc\0.hidden\0x\0y\0z', c.bytes(c.inputPtr, c.inputSize));
    assert.is(x.unionFindMany(c.inputPtr, written, room, 2), 3);
    assert.ok(new Uint8Array(x.memory.buffer, room + 2 * stride, 64).every((b) => b === 0xab), 'the bytes after the room are untouched');
    const two = new TextEncoder().encodeInto('etc\0.hidden', c.bytes(c.inputPtr, c.inputSize));
    assert.is(x.unionFindMany(c.inputPtr, two.written, room, 2), 2);
    assert.ok(new Uint8Array(x.memory.buffer, room + 2 * stride, 64).every((b) => b === 0xab), 'still untouched');
  } finally {
    x.free(room);
  }
});

test.run();
