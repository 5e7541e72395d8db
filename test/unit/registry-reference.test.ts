// Docker reference normalisation, checked against the tables of distribution/reference's own
// normalize_test.go (TestValidateReferenceName, TestValidateRemoteName, TestParseRepositoryInfo,
// TestNormalizedSplitHostname, TestParseReferenceWithTagAndDigest).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalName, familiarName, familiarRepository, parseDockerReference } from '../../src/registry/reference.ts';
import { ready } from '../_setup.ts';

test.before(async () => void (await ready()));

const VALID = [
  'docker/docker', 'library/debian', 'debian', 'docker.io/docker/docker', 'docker.io/library/debian', 'docker.io/debian',
  'index.docker.io/docker/docker', 'index.docker.io/library/debian', 'index.docker.io/debian', '127.0.0.1:5000/docker/docker',
  '127.0.0.1:5000/library/debian', '127.0.0.1:5000/debian', '192.168.0.1', '192.168.0.1:80', '192.168.0.1:8/debian',
  '192.168.0.2:25000/debian', 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', '[fc00::1]:5000/docker',
  '[fc00::1]:5000/docker/docker', '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
  'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'Docker/docker', 'DOCKER/docker',
  'docker-rules/docker', 'docker---rules/docker', 'doc/docker', 'd/docker', 'jess/t', 'dock__er/docker',
];
const INVALID = [
  'https://github.com/docker/docker', 'docker/Docker', '-docker', '-docker/docker', '-docker.io/docker/docker', 'docker///docker',
  'docker.io/docker/Docker', 'docker.io/docker///docker', '[fc00::1]', '[fc00::1]:5000', 'fc00::1:5000/debian',
  '[fe80::1%eth0]:5000/debian', '[2001:db8:3:4::192.0.2.33]:5000/debian',
  '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'docker-/docker', '-docker-/docker', '____/____',
  '_docker/_docker', 'dock..er/docker', 'dock_.er/docker', 'dock-.er/docker', 'docker/',
  `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}/docker`,
];

test('names distribution/reference accepts parse; names it rejects are REFERENCE_INVALID', () => {
  for (const name of VALID) assert.not.throws(() => parseDockerReference(name), name);
  for (const name of INVALID) {
    try {
      parseDockerReference(name);
      assert.unreachable(`accepted ${name}`);
    } catch (error) {
      assert.is((error as { code?: string }).code, 'REFERENCE_INVALID', name);
    }
  }
});

// [path, familiar, full, ambiguous, domain] from TestParseRepositoryInfo.
const INFO: [string, string, string, string, string][] = [
  ['fooo/bar', 'fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar', 'docker.io'],
  ['library/ubuntu', 'ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu', 'docker.io'],
  ['nonlibrary/ubuntu', 'nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', '', 'docker.io'],
  ['other/library', 'other/library', 'docker.io/other/library', '', 'docker.io'],
  ['private/moonbase', '127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '', '127.0.0.1:8000'],
  ['privatebase', '127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase', '', '127.0.0.1:8000'],
  ['private/moonbase', 'example.com/private/moonbase', 'example.com/private/moonbase', '', 'example.com'],
  ['privatebase', 'example.com:8000/privatebase', 'example.com:8000/privatebase', '', 'example.com:8000'],
  ['library/ubuntu-12.04-base', 'ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base', 'docker.io'],
  ['library/foo', 'foo', 'docker.io/library/foo', 'docker.io/foo', 'docker.io'],
  ['library/foo/bar', 'library/foo/bar', 'docker.io/library/foo/bar', '', 'docker.io'],
  ['store/foo/bar', 'store/foo/bar', 'docker.io/store/foo/bar', '', 'docker.io'],
  ['bar', 'Foo/bar', 'Foo/bar', '', 'Foo'],
  ['bar', 'FOO/bar', 'FOO/bar', '', 'FOO'],
];

test('domain, path, familiar and full names match TestParseRepositoryInfo', () => {
  for (const [path, familiar, full, ambiguous, domain] of INFO) {
    for (const input of [familiar, full, ambiguous].filter(Boolean)) {
      const ref = parseDockerReference(input);
      assert.is(ref.registry, domain, input);
      assert.is(ref.repository, path, input);
      assert.is(familiarRepository(ref), familiar, input);
      assert.is(`${ref.registry}/${ref.repository}`, full, input);
    }
  }
});

test('split hostname cases; tag and digest together; docker:// prefix; default tag', () => {
  const split: [string, string, string][] = [
    ['test.com/foo', 'test.com', 'foo'], ['test_com/foo', 'docker.io', 'test_com/foo'], ['docker/migrator', 'docker.io', 'docker/migrator'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'], ['test-com:8080/foo', 'test-com:8080', 'foo'], ['foo', 'docker.io', 'library/foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com', 'foo'], ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'], ['docker.io/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo', 'docker.io', 'library/foo'], ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar'],
  ];
  for (const [input, domain, path] of split) {
    const ref = parseDockerReference(`docker://${input}`);
    assert.equal([ref.registry, ref.repository, ref.tag], [domain, path, 'latest'], input);
  }
  const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
  const ref = parseDockerReference(short);
  assert.is(canonicalName(ref), `docker.io/library/${short}`);
  assert.is(familiarName(ref), short);
  const byDigest = parseDockerReference('127.0.0.1:5000/app@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa');
  assert.is(byDigest.tag, undefined);
  assert.throws(() => parseDockerReference('busybox:-foo'), /not an image reference/);
  assert.throws(() => parseDockerReference('busybox@sha256:../../etc'), /not an image reference/);
});

test.run();
