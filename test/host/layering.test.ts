// The architecture's rules, enforced: only src/runtime and src/cli touch runtime APIs, imports
// follow design.md's ladder (nothing imports upward), and there are no import cycles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { VERSION } from '../../src/version.ts';

const src = new URL('../../src/', import.meta.url);

function listTs(dir: URL, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const url = new URL(name, dir);
    if (statSync(url).isDirectory()) return listTs(new URL(name + '/', dir), `${prefix}${name}/`);
    return name.endsWith('.ts') ? [`${prefix}${name}`] : [];
  });
}

const files = listTs(src);
const source = (file: string) => readFileSync(new URL(file, src), 'utf8');
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
const RUNTIME_FREE = (file: string) => !file.startsWith('runtime/') && !file.startsWith('cli/');

test('nothing outside src/runtime and src/cli imports node:* or touches Deno/Bun globals', () => {
  const offenders: string[] = [];
  for (const file of files.filter(RUNTIME_FREE)) {
    const code = withoutComments(source(file));
    if (/from\s+['"]node:|import\(\s*['"]node:|require\(\s*['"]node:/.test(code)) offenders.push(`${file}: imports node:*`);
    if (/\b(Deno|Bun)\s*\.|globalThis\.(Deno|Bun)\b/.test(code)) offenders.push(`${file}: touches a Deno/Bun global`);
    if (/\bprocess\s*\.\s*(env|argv|exit|stdout|stderr)/.test(code)) offenders.push(`${file}: touches process`);
  }
  assert.equal(offenders, []);
});

// design.md: core → digest/tar/compress → image/formats/store → fs/diff → registry → container/build → server/cli
const RANK: Record<string, number> = {
  'errors.ts': 0, 'host.ts': 0, 'version.ts': 0, 'wasm.d.ts': 0,
  core: 1, digest: 2, tar: 2, compress: 2, image: 3, formats: 3, store: 3, fs: 4, diff: 4,
  registry: 5, container: 6, build: 6, server: 7, cli: 8, runtime: 8,
  'configure.ts': 9, 'mod.ts': 9, 'node.ts': 10, 'node-setup.ts': 10, 'workers.ts': 10, 'bin.ts': 11, 'streams.ts': 0,
};
const unitOf = (file: string) => file.split('/')[0]!;

function importsOf(file: string): string[] {
  const specs = [...withoutComments(source(file)).matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => new URL(s, new URL(file, src)).href.slice(src.href.length)).filter((f) => f.endsWith('.ts'));
}

test('imports follow the dependency ladder (nothing imports upward)', () => {
  const upward: string[] = [];
  for (const file of files) {
    const from = RANK[unitOf(file)];
    assert.ok(from !== undefined, `${file} is in a folder design.md does not place; add it to the ladder`);
    for (const target of importsOf(file)) {
      const to = RANK[unitOf(target)];
      if (to === undefined || (to > from! && !(unitOf(file) === 'runtime' && unitOf(target) === 'cli'))) upward.push(`${file} → ${target}`);
    }
  }
  assert.equal(upward, []);
});

test('there are no import cycles', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') return void cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
    state.set(file, 'visiting');
    for (const next of importsOf(file)) if (files.includes(next)) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.equal(cycles, []);
});

test('src/version.ts matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.is(VERSION, pkg.version);
});

test.run();
