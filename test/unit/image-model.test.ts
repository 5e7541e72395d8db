// chainIDs against the OCI spec's formula computed independently, platform matching, skopeo's
// reference syntax with docker's normalisation, docker's units and history rows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chainIDs } from '../../src/image/chain-id.ts';
import { parsePlatform, pickPlatform } from '../../src/image/platform.ts';
import { familiarName, formatDockerName, parseReference } from '../../src/formats/transports.ts';
import { ellipsis, humanSize, imageHistory, inspectImage } from '../../src/image/describe.ts';
import type { Descriptor } from '../../src/image/types.ts';
import type { Digest } from '../../src/digest/digest.ts';
import { ready } from '../_setup.ts';
import { codeOf, sha256, twoLayerImage, utf8 } from './_image-fixtures.ts';

test.before(async () => void (await ready()));

test('chainIDs follow the OCI spec: chainID(n) = sha256(chainID(n-1) + " " + diffID(n))', async () => {
  const diffIDs = [1, 2, 3, 4].map((i) => sha256(utf8(`layer ${i}`)));
  let expected: string[] = [];
  for (const d of diffIDs) {
    const prev = expected.at(-1);
    expected.push(prev ? `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}` : d);
  }
  assert.equal(await chainIDs(diffIDs), expected);
  assert.equal(await chainIDs([]), []);
});

const entry = (platform: Descriptor['platform'], n: number): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(utf8(String(n))), size: n, ...(platform ? { platform } : {}),
});
const index = [
  entry({ os: 'linux', architecture: 'amd64' }, 1),
  entry({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 2),
  entry({ os: 'linux', architecture: 'arm', variant: 'v7' }, 3),
  entry({ os: 'unknown', architecture: 'unknown' }, 4),
];

test('platforms: requested, else the host\'s, else the only one, else an error listing the choices', async () => {
  assert.is(pickPlatform(index, parsePlatform('linux/arm/v7'), undefined).size, 3);
  assert.is(pickPlatform(index, parsePlatform('linux/arm64'), undefined).size, 2, 'arm64 means v8');
  assert.is(pickPlatform(index, parsePlatform('linux/aarch64'), undefined).size, 2, 'aliases are normalised');
  assert.is(pickPlatform(index, undefined, { os: 'linux', architecture: 'amd64' }).size, 1);
  assert.is(pickPlatform([index[1]!, index[3]!], undefined, { os: 'linux', architecture: 'amd64' }).size, 2, 'the only image (attestations ignored)');
  let message = '';
  try {
    pickPlatform(index, undefined, { os: 'linux', architecture: 's390x' });
  } catch (e) {
    message = (e as Error).message;
    assert.is((e as { code: string }).code, 'PLATFORM_AMBIGUOUS');
  }
  assert.match(message, 'linux/amd64, linux/arm64/v8, linux/arm/v7');
  assert.is(await codeOf(() => pickPlatform(index, parsePlatform('windows/amd64'), undefined)), 'PLATFORM_NOT_FOUND');
  assert.is(await codeOf(() => parsePlatform('linux')), 'BAD_PLATFORM');
});

test('references: skopeo syntax and docker normalisation', () => {
  assert.equal(parseReference('oci:dir:v1'), { transport: 'oci', path: 'dir', tag: 'v1' });
  assert.equal(parseReference('oci:/abs/dir'), { transport: 'oci', path: '/abs/dir' });
  assert.equal(parseReference('oci-archive:x.tar:latest'), { transport: 'oci-archive', path: 'x.tar', tag: 'latest' });
  assert.equal(parseReference('docker-archive:x.tar:@1'), { transport: 'docker-archive', path: 'x.tar', index: 1 });
  const da = parseReference('docker-archive:x.tar:me/app:2');
  assert.is(da.transport === 'docker-archive' && da.name && formatDockerName(da.name), 'docker.io/me/app:2');
  const bare = parseReference('alpine');
  assert.is(bare.transport === 'store' && formatDockerName(bare.name), 'docker.io/library/alpine:latest');
  assert.is(bare.transport === 'store' && familiarName(bare.name), 'alpine:latest');
  const hosted = parseReference('docker://localhost:5000/a/b@sha256:' + 'a'.repeat(64));
  assert.is(hosted.transport === 'docker' && hosted.name.domain, 'localhost:5000');
  assert.is(hosted.transport === 'docker' && hosted.name.tag, undefined);
  const ghcr = parseReference('docker://ghcr.io/org/img:1.2');
  assert.is(ghcr.transport === 'docker' && familiarName(ghcr.name), 'ghcr.io/org/img:1.2');
  assert.equal(parseReference('rootfs:some/dir'), { transport: 'rootfs', path: 'some/dir' });
  for (const bad of ['Upper', 'a/UPPER', 'a//b', 'x:bad tag', 'ftp://x', 'oci:', 'docker://x@sha256:../x']) {
    let code = '';
    try {
      parseReference(bad);
    } catch (e) {
      code = (e as { code: string }).code;
    }
    assert.ok(['BAD_REFERENCE', 'DIGEST_INVALID'].includes(code), `${bad}: ${code}`);
  }
});

test('docker units and ellipsis match docker\'s output', () => {
  assert.is(humanSize(0), '0B');
  assert.is(humanSize(2560), '2.56kB');
  assert.is(humanSize(77_800_000), '77.8MB');
  assert.is(humanSize(999), '999B');
  assert.is(ellipsis('/bin/sh -c #(nop) ADD file:0bc336bdf7f6a3e33b7fd8ef8c2ff5b in /', 45), '/bin/sh -c #(nop) ADD file:0bc336bdf7f6a3e33…');
});

test('history rows: newest first, <missing> below the top, empty layers 0 bytes; inspect gives chainIDs', async () => {
  const fixture = await twoLayerImage();
  const image = fixture.image();
  const rows = await imageHistory(image);
  const layers = await image.layers();
  assert.equal(rows.map((r) => [r.createdBy, r.emptyLayer, r.size]), [['RUN echo', false, layers[1]!.size], ['CMD', true, 0], ['ADD base', false, layers[0]!.size]]);
  assert.equal(rows.map((r) => r.id), [sha256(fixture.config), '<missing>', '<missing>']);
  const inspected = await inspectImage(image, ['me/app:1']);
  assert.equal(inspected.RootFS.Layers, fixture.tars.map(sha256));
  assert.equal(inspected.Layers.map((l) => l.chainID), await chainIDs(fixture.tars.map(sha256) as Digest[]));
  assert.equal(inspected.RepoDigests, [`me/app@${sha256(fixture.manifest)}`]);
});

test.run();
