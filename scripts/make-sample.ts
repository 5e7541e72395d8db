/**
 * Writes sample/oci, the small image the README's first command shows: an OCI layout retelling
 * the seed — a base layer with a little Linux-like tree, then a layer adding /tmp/newfile with
 * `Hello world`. Layers are written by layerkit's own TarWriter, uncompressed, with fixed times,
 * owners and modes, so every digest is the same on every machine and every run.
 *
 *   node --import tsx scripts/make-sample.ts        # rewrites sample/oci; `git diff` stays empty
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { writeTar, type TarWriteEntry } from '../src/tar/writer.ts';

const out = new URL('../sample/oci/', import.meta.url).pathname;
const CREATED = '2024-01-01T00:00:00Z';
const SECONDS = Date.parse(CREATED) / 1000;
const utf8 = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const dir = (name: string, mode = 0o755): TarWriteEntry => ({ name: `${name}/`, type: 'dir', mode, mtime: { sec: SECONDS, nsec: 0 } });
const file = (name: string, text: string, mode = 0o644): TarWriteEntry => ({ name, type: 'file', body: utf8(text), mode, mtime: { sec: SECONDS, nsec: 0 } });
const link = (name: string, target: string): TarWriteEntry => ({ name, type: 'symlink', linkname: target, mode: 0o777, mtime: { sec: SECONDS, nsec: 0 } });

const base: TarWriteEntry[] = [
  dir('bin'), link('bin/sh', '/bin/busybox'), file('bin/busybox', '#!/bin/busybox placeholder\n', 0o755),
  dir('etc'), file('etc/hostname', 'layerkit\n'), file('etc/os-release', 'NAME="Layerkit Sample"\nID=layerkit\nVERSION_ID=1\n'),
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n'),
  file('etc/group', 'root:x:0:\nnogroup:x:65534:\n'),
  dir('home'), dir('root', 0o700), dir('tmp', 0o1777), dir('usr'), dir('usr/bin'), link('usr/bin/env', '../../bin/busybox'),
  dir('var'), dir('var/log'),
];
const hello: TarWriteEntry[] = [dir('tmp', 0o1777), file('tmp/newfile', 'Hello world\n')];

const layers = [await writeTar(base), await writeTar(hello)];
const diffIDs = layers.map(sha256);
const config = {
  created: CREATED,
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'] },
  rootfs: { type: 'layers', diff_ids: diffIDs },
  history: [
    { created: CREATED, created_by: `/bin/sh -c #(nop) ADD file:${diffIDs[0]!.slice(7)} in / ` },
    { created: CREATED, created_by: '/bin/sh -c #(nop)  CMD ["/bin/bash"]', empty_layer: true },
    { created: CREATED, created_by: '/bin/sh -c echo "Hello world" > /tmp/newfile' },
  ],
};
const configBytes = utf8(JSON.stringify(config));
const manifest = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length },
  layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
};
const manifestBytes = utf8(JSON.stringify(manifest));
const index = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [{
    mediaType: manifest.mediaType, digest: sha256(manifestBytes), size: manifestBytes.length,
    platform: { architecture: 'amd64', os: 'linux' }, annotations: { 'org.opencontainers.image.ref.name': 'latest' },
  }],
};

rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}blobs/sha256`, { recursive: true });
for (const blob of [...layers, configBytes, manifestBytes]) writeFileSync(`${out}blobs/sha256/${sha256(blob).slice(7)}`, blob);
writeFileSync(`${out}oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
writeFileSync(`${out}index.json`, JSON.stringify(index));
console.log(`sample/oci: manifest ${index.manifests[0]!.digest}, config ${manifest.config.digest}`);
console.log(`layers: ${manifest.layers.map((l) => l.digest).join(' ')}`);
