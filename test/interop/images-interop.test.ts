/**
 * layerkit against skopeo and umoci: images they make are read with the digests `skopeo inspect`
 * reports; what layerkit writes (oci:, oci-archive:, docker-archive:, the store) is read back by
 * `skopeo inspect`/`skopeo copy` and `umoci unpack` with the same digests where nothing was
 * converted; oci → docker-archive → oci keeps every diffID.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { layerkit } from '../_cli.ts';
import { skip } from '../_setup.ts';

const have = (tool: string) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
const tools = have('skopeo') && have('umoci');
const work = mkdtempSync(`${tmpdir()}/layerkit-interop-`);
const env = { ...process.env, LAYERKIT_HOME: `${work}/store` };
const sample = new URL('../../sample/oci', import.meta.url).pathname;
let comparisons = 0;

function run(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', cwd: work, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function lk(args: string[]): string {
  const r = layerkit(args, { cwd: work, env });
  if (r.status !== 0) throw new Error(`layerkit ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface Identities {
  manifest: string;
  config: string;
  diffIDs: string[];
  layers: string[];
}

function skopeoSays(ref: string): Identities {
  const manifest = JSON.parse(run('skopeo', ['inspect', '--raw', ref]));
  const config = JSON.parse(run('skopeo', ['inspect', '--config', '--raw', ref]));
  const info = JSON.parse(run('skopeo', ['inspect', ref]));
  return { manifest: info.Digest, config: manifest.config.digest, diffIDs: config.rootfs.diff_ids, layers: info.Layers };
}

function layerkitSays(ref: string): Identities {
  const info = JSON.parse(lk(['inspect', ref]));
  return { manifest: info.Manifest.digest, config: info.Id, diffIDs: info.RootFS.Layers, layers: info.Layers.map((l: { digest: string }) => l.digest) };
}

function same(ref: string, theirs = ref): Identities {
  const a = skopeoSays(theirs);
  const b = layerkitSays(ref);
  assert.equal(b, a, `${ref}: layerkit and skopeo disagree`);
  comparisons += 3 + a.diffIDs.length + a.layers.length;
  return a;
}

/** A two-layer image made by umoci: a tree, then a change with a deletion (a whiteout). */
function umociImage(): string {
  const layout = `${work}/umoci`;
  run('umoci', ['init', '--layout', layout]);
  run('umoci', ['new', '--image', `${layout}:latest`]);
  run('umoci', ['unpack', '--rootless', '--image', `${layout}:latest`, `${work}/bundle`]);
  mkdirSync(`${work}/bundle/rootfs/etc`);
  writeFileSync(`${work}/bundle/rootfs/etc/passwd`, 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(`${work}/bundle/rootfs/gone`, 'soon deleted\n');
  run('umoci', ['repack', '--image', `${layout}:latest`, `${work}/bundle`]);
  // umoci diffs a bundle against the image it was unpacked from, so unpack again for layer two.
  run('umoci', ['unpack', '--rootless', '--image', `${layout}:latest`, `${work}/bundle2`]);
  rmSync(`${work}/bundle2/rootfs/gone`);
  writeFileSync(`${work}/bundle2/rootfs/hello`, 'Hello world\n');
  run('umoci', ['repack', '--image', `${layout}:latest`, `${work}/bundle2`]);
  run('umoci', ['config', '--image', `${layout}:latest`, '--config.cmd', '/bin/sh', '--config.env', 'A=1']);
  return layout;
}

if (!tools) {
  skip('images interop', 'skopeo or umoci is not installed (scripts/install-system-deps.sh installs them)');
} else {
  let umoci = '';
  test.before(() => {
    umoci = umociImage();
  });
  test.after(() => {
    rmSync(work, { recursive: true, force: true });
    console.log(`images interop: ${comparisons} digests compared with skopeo`);
  });

  test('an image made by umoci: same manifest, config and diffIDs as skopeo inspect', () => {
    const ids = same(`oci:${umoci}:latest`);
    assert.is(ids.diffIDs.length, 2);
  });

  test('the embedded sample: same digests as skopeo inspect', () => {
    same(`oci:${sample}:latest`);
  });

  test('skopeo copy oci: → docker-archive: and oci-archive: are read with skopeo\'s digests', () => {
    run('skopeo', ['copy', `oci:${umoci}:latest`, `docker-archive:${work}/sk-docker.tar:me/umoci:1`]);
    run('skopeo', ['copy', `oci:${umoci}:latest`, `oci-archive:${work}/sk-oci.tar:v1`]);
    const source = skopeoSays(`oci:${umoci}:latest`);
    const docker = same(`docker-archive:${work}/sk-docker.tar`);
    assert.equal(docker.diffIDs, source.diffIDs);
    same(`docker-archive:${work}/sk-docker.tar:me/umoci:1`, `docker-archive:${work}/sk-docker.tar:me/umoci:1`);
    const oci = same(`oci-archive:${work}/sk-oci.tar:v1`);
    assert.is(oci.manifest, source.manifest);
  });

  for (const format of ['oci', 'oci-archive'] as const) {
    test(`layerkit writes ${format}: skopeo and umoci read it with identical digests`, () => {
      const dest = `${format}:${work}/lk-${format}${format === 'oci' ? '' : '.tar'}:v2`;
      lk(['copy', '--quiet', `oci:${umoci}:latest`, dest]);
      const source = skopeoSays(`oci:${umoci}:latest`);
      const written = same(dest);
      assert.equal(written, source);
      run('skopeo', ['copy', dest, `oci:${work}/back-${format}:x`]);
      assert.is(skopeoSays(`oci:${work}/back-${format}:x`).manifest, source.manifest);
      run('umoci', ['unpack', '--rootless', '--image', `${work}/back-${format}:x`, `${work}/unpacked-${format}`]);
      assert.is(run('cat', [`${work}/unpacked-${format}/rootfs/hello`]), 'Hello world\n');
      comparisons += 2;
    });
  }

  test('layerkit writes docker-archive: skopeo, umoci and layerkit agree; oci → docker-archive → oci keeps every diffID', () => {
    const source = skopeoSays(`oci:${umoci}:latest`);
    lk(['copy', '--quiet', `oci:${umoci}:latest`, `docker-archive:${work}/lk-docker.tar:me/app:1`, '--additional-tag', 'me/app:latest']);
    const written = same(`docker-archive:${work}/lk-docker.tar:me/app:1`, `docker-archive:${work}/lk-docker.tar:me/app:1`);
    same(`docker-archive:${work}/lk-docker.tar:me/app:latest`, `docker-archive:${work}/lk-docker.tar:me/app:latest`);
    assert.equal(written.diffIDs, source.diffIDs);
    assert.is(written.config, source.config, 'the config is carried byte for byte');
    run('skopeo', ['copy', `docker-archive:${work}/lk-docker.tar:me/app:1`, `oci:${work}/from-docker:x`]);
    assert.equal(skopeoSays(`oci:${work}/from-docker:x`).diffIDs, source.diffIDs);
    run('umoci', ['unpack', '--rootless', '--image', `${work}/from-docker:x`, `${work}/unpacked-docker`]);
    assert.is(run('cat', [`${work}/unpacked-docker/rootfs/etc/passwd`]), 'root:x:0:0:root:/root:/bin/sh\n');
    lk(['copy', '--quiet', `docker-archive:${work}/lk-docker.tar:me/app:1`, `oci:${work}/round:trip`]);
    const round = same(`oci:${work}/round:trip`);
    assert.equal(round.diffIDs, source.diffIDs);
  });

  for (const format of ['gzip', 'zstd'] as const) {
    test(`skopeo-compressed (${format}) layers: same digests, and converted to docker-archive with every diffID kept`, () => {
      const dest = `oci:${work}/sk-${format}:c`;
      run('skopeo', ['copy', '--dest-compress', '--dest-compress-format', format, `oci:${sample}:latest`, dest]);
      const ids = same(dest);
      const layer = JSON.parse(lk(['inspect', dest])).Layers[0];
      assert.match(layer.mediaType, format === 'gzip' ? 'tar+gzip' : 'tar+zstd');
      lk(['copy', '--quiet', dest, `docker-archive:${work}/from-${format}.tar:c:1`]);
      assert.equal(skopeoSays(`docker-archive:${work}/from-${format}.tar:c:1`).diffIDs, ids.diffIDs);
      lk(['copy', '--quiet', dest, `oci:${work}/copied-${format}:c`]);
      assert.equal(skopeoSays(`oci:${work}/copied-${format}:c`), ids);
      comparisons += 2 * ids.diffIDs.length + 3 + ids.layers.length;
    });
  }

  test('the local store: copy in and out keeps every digest; skopeo reads the store as an OCI layout', () => {
    const source = skopeoSays(`oci:${umoci}:latest`);
    lk(['copy', '--quiet', `oci:${umoci}:latest`, 'interop/umoci:1']);
    const stored = layerkitSays('interop/umoci:1');
    assert.equal(stored, source);
    // The store is an OCI layout whose ref.name is the tag: skopeo can read it directly.
    assert.equal(skopeoSays(`oci:${work}/store:1`), source);
    lk(['copy', '--quiet', 'interop/umoci:1', `oci:${work}/out-of-store:t`]);
    assert.equal(skopeoSays(`oci:${work}/out-of-store:t`), source);
    comparisons += 2 * (3 + source.diffIDs.length * 2);
  });
}

test.run();
