/**
 * Docker image references, normalised the way docker does: a registry host (docker.io when the
 * first component has no `.` or `:` and is not `localhost`), `library/` for official images, tag
 * `latest` when neither tag nor digest is given. IPv6 hosts are bracketed (`[::1]:5000`); a
 * zone id (`[fe80::1%eth0]`) is refused, as docker's grammar has none.
 *
 *   parseDockerReference('busybox') // { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }
 *   familiarName(parseDockerReference('127.0.0.1:5000/a/b:1')) // '127.0.0.1:5000/a/b:1'
 */
import { type Digest, parseDigest } from '../digest/digest.ts';
import { UsageError } from '../errors.ts';

export const DOCKER_HUB = 'docker.io';
/** Where docker.io's API actually answers. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

export interface DockerReference {
  /** `host[:port]` as the user names it (docker.io for Docker Hub). */
  registry: string;
  /** The repository path, e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$/;

function invalid(input: string, why: string): UsageError {
  return new UsageError('REFERENCE_INVALID', `"${input.slice(0, 300)}" is not an image reference: ${why}`, {
    hint: 'expected [HOST[:PORT]/]REPOSITORY[:TAG][@sha256:…], e.g. docker.io/library/busybox:latest',
  });
}

/** Parses `[docker://][host/]repo[:tag][@digest]` into its normalised parts. */
export function parseDockerReference(input: string): DockerReference {
  let rest = input.startsWith('docker://') ? input.slice('docker://'.length) : input;
  if (rest.length === 0 || rest.length > 512) throw invalid(input, 'empty or too long');
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    try {
      digest = parseDigest(rest.slice(at + 1)).digest;
    } catch (cause) {
      throw invalid(input, (cause as Error).message);
    }
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(input, `bad tag "${tag}"`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0]!;
  // distribution/reference's rule: a first component with `.` or `:`, `localhost`, or upper case names a host.
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    registry = parts.shift()!;
    // A zone id is no part of docker's grammar, and a URL cannot carry one (WHATWG URL refuses it).
    if (registry.startsWith('[') && registry.includes('%')) throw invalid(input, `"${registry}" has an IPv6 zone id (%…), which a docker reference cannot carry; use an address without one, e.g. [::1]:5000`);
    if (!HOST.test(registry)) throw invalid(input, `bad registry host "${registry}"`);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) {
    if (/^[a-f0-9]{64}$/.test(parts[0]!) && input.replace(/^docker:\/\//, '') === parts[0]) throw invalid(input, 'a 64-digit hex string is an image ID, not a repository name');
    parts.unshift('library');
  }
  for (const part of parts) if (!COMPONENT.test(part)) throw invalid(input, `bad repository component "${part}" (lower case letters, digits, . _ -)`);
  const repository = parts.join('/');
  if (repository.length > 255) throw invalid(input, 'repository name longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** The host the API answers on (Docker Hub's API lives on registry-1.docker.io). */
export function apiHost(reference: Pick<DockerReference, 'registry'>): string {
  return reference.registry === DOCKER_HUB ? DOCKER_HUB_API : reference.registry;
}

/** The repository as docker shows it: `busybox`, `user/app`, `host:5000/app`. */
export function familiarRepository(reference: Pick<DockerReference, 'registry' | 'repository'>): string {
  if (reference.registry !== DOCKER_HUB) return `${reference.registry}/${reference.repository}`;
  return reference.repository.startsWith('library/') && reference.repository.split('/').length === 2
    ? reference.repository.slice('library/'.length)
    : reference.repository;
}

/** The whole reference as docker shows it: `busybox:latest`, `host:5000/app@sha256:…`. */
export function familiarName(reference: DockerReference): string {
  const name = familiarRepository(reference);
  if (reference.tag !== undefined) return `${name}:${reference.tag}${reference.digest ? `@${reference.digest}` : ''}`;
  return `${name}@${reference.digest}`;
}

/** The fully qualified form: `docker.io/library/busybox:latest`. */
export function canonicalName(reference: DockerReference): string {
  const base = `${reference.registry}/${reference.repository}`;
  return `${base}${reference.tag !== undefined ? `:${reference.tag}` : ''}${reference.digest ? `@${reference.digest}` : ''}`;
}

/** The tag or digest a manifest request names. */
export function manifestSelector(reference: DockerReference): string {
  return reference.digest ?? reference.tag ?? 'latest';
}
