// Writes assembly/generated/sha256-compress.ts: the SHA-256 compression function, generated
// rather than written by hand because 64 near-identical rounds are where typos hide.
//
// Several shapes can be generated so that `bench/sha256-variants.mjs` can measure them against
// each other on V8 (Node, Deno) and JavaScriptCore (Bun); the default is the one that won there
// (figures in bench/README.md):
//   --loads=swizzle|bswap       big-endian words via one i8x16.swizzle per 4 words, or load+bswap
//   --schedule=locals|memory|simd
//        locals: W in 16 locals, computed inside the rounds (one big function, no memory traffic)
//        memory: W+K for all 64 rounds precomputed into a fixed scratch area, then the rounds
//        simd:   as memory, but W16..W63 computed 4 lanes at a time with v128 σ0/σ1
//   --unroll=64|32|16|8         rounds fully unrolled, or a loop of that many rounds (needs W in memory)
//   --boolean=short|classic     Ch and Maj in 3 and 4 operations, or as written in FIPS 180-4 (4 and 5)
//   --out=PATH                  where to write (default assembly/generated/sha256-compress.ts)
//
//   node scripts/gen-sha256-rounds.mjs --schedule=simd --unroll=64
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULTS = { loads: 'swizzle', schedule: 'simd', unroll: 32, boolean: 'short' };

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const hex = (k) => '0x' + k.toString(16).padStart(8, '0');
const VARS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/** One round, with the working variables renamed instead of shifted; `wk` is W[t] + K[t]. */
function round(t, wk, boolean) {
  const [a, b, c, d, e, f, g, h] = VARS.map((_, i) => VARS[(i - (t % 8) + 8) % 8]);
  const ch = boolean === 'short' ? `(${g} ^ (${e} & (${f} ^ ${g})))` : `((${e} & ${f}) ^ (~${e} & ${g}))`;
  const maj = boolean === 'short' ? `((${a} & ${b}) | (${c} & (${a} | ${b})))` : `((${a} & ${b}) ^ (${a} & ${c}) ^ (${b} & ${c}))`;
  return [
    `t1 = ${h} + (rotr(${e}, 6) ^ rotr(${e}, 11) ^ rotr(${e}, 25)) + ${ch} + ${wk};`,
    `${d} += t1;`,
    `${h} = t1 + (rotr(${a}, 2) ^ rotr(${a}, 13) ^ rotr(${a}, 22)) + ${maj};`,
  ];
}

/** The 16 message words of the block at `p` into locals w0..w15. */
function loadWords(loads) {
  const out = [];
  for (let q = 0; q < 4; q++) {
    if (loads === 'swizzle') {
      out.push(`let v${q} = i8x16.swizzle(v128.load(p, ${q * 16}), BSWAP32);`);
      for (let j = 0; j < 4; j++) out.push(`let w${q * 4 + j} = <u32>i32x4.extract_lane(v${q}, ${j});`);
    } else {
      for (let j = 0; j < 4; j++) out.push(`let w${q * 4 + j} = bswap<u32>(load<u32>(p, ${(q * 4 + j) * 4}));`);
    }
  }
  return out;
}

function scalarScheduleStep(t) {
  const w = `w${t % 16}`, w2 = `w${(t - 2) % 16}`, w7 = `w${(t - 7) % 16}`, w15 = `w${(t - 15) % 16}`;
  return `${w} += (rotr(${w2}, 17) ^ rotr(${w2}, 19) ^ (${w2} >>> 10)) + ${w7} + (rotr(${w15}, 7) ^ rotr(${w15}, 18) ^ (${w15} >>> 3));`;
}

/** W[t]+K[t] for t = 0..63 into the scratch area WK, computed one word at a time. */
function scalarScheduleToMemory(loads) {
  const out = loadWords(loads);
  for (let t = 0; t < 64; t++) {
    if (t >= 16) out.push(scalarScheduleStep(t));
    out.push(`store<u32>(WK, w${t % 16} + ${hex(K[t])}, ${t * 4});`);
  }
  return out;
}

/**
 * W[t]+K[t] into WK with v128 arithmetic: four words per step. W[t..t+3] needs σ1 of W[t+1] and
 * W[t+2], which this same step computes, so σ1 is done twice on two lanes.
 */
function simdScheduleToMemory() {
  const out = [];
  for (let q = 0; q < 4; q++) {
    out.push(`let x${q} = i8x16.swizzle(v128.load(p, ${q * 16}), BSWAP32);`);
    out.push(`v128.store(WK, v128.add<u32>(x${q}, v128.load(KT, ${q * 16})), ${q * 16});`);
  }
  for (let q = 4; q < 16; q++) {
    const [x0, x1, x2, x3] = [0, 1, 2, 3].map((i) => `x${(q + i) % 4}`);
    out.push(`{`);
    out.push(`  const s0 = sigma0v(v128.shuffle<u32>(${x0}, ${x1}, 1, 2, 3, 4));`);
    out.push(`  const tmp = v128.add<u32>(v128.add<u32>(${x0}, s0), v128.shuffle<u32>(${x2}, ${x3}, 1, 2, 3, 4));`);
    out.push(`  const lo = v128.add<u32>(tmp, sigma1v(v128.shuffle<u32>(${x3}, ${x3}, 2, 3, 2, 3)));`);
    out.push(`  const hi = v128.add<u32>(tmp, sigma1v(v128.shuffle<u32>(lo, lo, 0, 1, 0, 1)));`);
    out.push(`  ${x0} = v128.shuffle<u32>(lo, hi, 0, 1, 6, 7);`);
    out.push(`  v128.store(WK, v128.add<u32>(${x0}, v128.load(KT, ${q * 16})), ${q * 16});`);
    out.push(`}`);
  }
  return out;
}

export function generate(options = {}) {
  const { loads, schedule, unroll, boolean } = { ...DEFAULTS, ...options };
  if (![8, 16, 32, 64].includes(unroll)) throw new Error('--unroll must be 8, 16, 32 or 64');
  if (unroll !== 64 && schedule === 'locals') throw new Error('a rolled loop needs --schedule=memory or simd');
  const body = [];
  if (schedule === 'locals') {
    body.push(...loadWords(loads));
    for (let t = 0; t < 64; t++) {
      if (t >= 16) body.push(scalarScheduleStep(t));
      body.push(...round(t, `${hex(K[t])} + w${t % 16}`, boolean));
    }
  } else {
    body.push(...(schedule === 'simd' ? simdScheduleToMemory() : scalarScheduleToMemory(loads)));
    if (unroll === 64) {
      for (let t = 0; t < 64; t++) body.push(...round(t, `load<u32>(WK, ${t * 4})`, boolean));
    } else {
      body.push(`for (let r: usize = 0; r < 256; r += ${unroll * 4}) {`);
      for (let t = 0; t < unroll; t++) body.push(...round(t, `load<u32>(WK + r, ${t * 4})`, boolean).map((l) => '  ' + l));
      body.push(`}`);
    }
  }
  const simd = loads === 'swizzle' || schedule === 'simd';
  return `// GENERATED by scripts/gen-sha256-rounds.mjs (${JSON.stringify({ loads, schedule, unroll, boolean })}) — do not edit.
// @ts-nocheck  (AssemblyScript)
${simd ? 'const BSWAP32: v128 = i8x16(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);\n' : ''}\
${schedule !== 'locals' ? '/** W[t] + K[t] for the block being compressed: a fixed scratch area, so nothing is allocated. */\nconst WK: usize = memory.data(256, 16);\n' : ''}\
${schedule === 'simd' ? `const KT: usize = memory.data<u32>([${K.map(hex).join(', ')}], 16);

// @ts-ignore: decorator
@inline function rotrv(x: v128, n: i32): v128 { return v128.or(v128.shr<u32>(x, n), v128.shl<u32>(x, 32 - n)); }
// @ts-ignore: decorator
@inline function sigma0v(x: v128): v128 { return v128.xor(v128.xor(rotrv(x, 7), rotrv(x, 18)), v128.shr<u32>(x, 3)); }
// @ts-ignore: decorator
@inline function sigma1v(x: v128): v128 { return v128.xor(v128.xor(rotrv(x, 17), rotrv(x, 19)), v128.shr<u32>(x, 10)); }
` : ''}
/** Runs the compression function over \`blocks\` 64-byte blocks at \`p\`, updating the 8 words at \`state\`. */
export function compress(state: usize, p: usize, blocks: usize): void {
  let a = load<u32>(state, 0), b = load<u32>(state, 4), c = load<u32>(state, 8), d = load<u32>(state, 12);
  let e = load<u32>(state, 16), f = load<u32>(state, 20), g = load<u32>(state, 24), h = load<u32>(state, 28);
  let t1: u32 = 0;
  for (let end = p + (blocks << 6); p < end; p += 64) {
    const a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
${body.map((l) => '    ' + l).join('\n')}
    a += a0; b += b0; c += c0; d += d0; e += e0; f += f0; g += g0; h += h0;
  }
  store<u32>(state, a, 0); store<u32>(state, b, 4); store<u32>(state, c, 8); store<u32>(state, d, 12);
  store<u32>(state, e, 16); store<u32>(state, f, 20); store<u32>(state, g, 24); store<u32>(state, h, 28);
}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
  const out = args.out ?? fileURLToPath(new URL('../assembly/generated/sha256-compress.ts', import.meta.url));
  delete args.out;
  if (args.unroll) args.unroll = Number(args.unroll);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, generate(args));
}
