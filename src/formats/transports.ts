/**
 * Image references in skopeo's syntax, and docker's name normalisation
 * (`alpine` → `docker.io/library/alpine:latest`). Parsing only: opening lives in cli/resolve.ts,
 * so the registry transport can join without formats importing it.
 *
 *   parseReference('oci:./out:v1')        // { transport: 'oci', path: './out', tag: 'v1' }
 *   parseReference('docker://ghcr.io/a/b@sha256:…') // { transport: 'docker', name: {…} }
 */
import { parseDigest, type Digest } from '../digest/digest.ts';
import { UsageError } from '../errors.ts';

/** A docker image name, normalised: `domain/path` with a tag and/or a digest. */
export interface DockerName {
  domain: string;
  path: string;
  tag?: string;
  digest?: Digest;
}

export type Reference =
  | { transport: 'oci'; path: string; tag?: string }
  | { transport: 'oci-archive'; path: string; tag?: string }
  | { transport: 'docker-archive'; path: string; name?: DockerName; index?: number }
  | { transport: 'docker'; name: DockerName }
  | { transport: 'rootfs'; path: string }
  | { transport: 'tar'; path: string }
  | { transport: 'store'; name: DockerName };

export const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

function bad(text: string, why: string): UsageError {
  return new UsageError('BAD_REFERENCE', `"${text}" is not an image reference: ${why}`, {
    hint: 'use NAME[:TAG], oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG], docker://HOST/REPO[:TAG], rootfs:DIR or tar:FILE',
  });
}

/** Parses `[domain/]path[:tag][@digest]` the way docker does. */
export function parseDockerName(text: string): DockerName {
  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = parseDigest(rest.slice(at + 1)).digest;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw bad(text, `"${tag}" is not a valid tag`);
  }
  let domain = DEFAULT_DOMAIN;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    domain = first;
    rest = rest.slice(slash + 1);
    if (domain.startsWith('[') && domain.includes('%')) throw bad(text, `"${domain}" has an IPv6 zone id (%…), which a docker reference cannot carry; use an address without one, e.g. [::1]:5000`);
    if (!DOMAIN.test(domain)) throw bad(text, `"${domain}" is not a valid registry host`);
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = `library/${rest}`;
  if (rest === '' || !rest.split('/').every((c) => COMPONENT.test(c))) throw bad(text, 'repository names are lowercase letters, digits and . _ - separated by /');
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path: rest, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `docker.io/library/alpine:latest` — the full form stored in index annotations. */
export function formatDockerName(name: DockerName): string {
  return `${name.domain}/${name.path}${name.tag !== undefined ? `:${name.tag}` : ''}${name.digest ? `@${name.digest}` : ''}`;
}

/** `alpine:latest` — the short form docker prints. */
export function familiarName(name: DockerName): string {
  let repo = `${name.domain}/${name.path}`;
  if (name.domain === DEFAULT_DOMAIN) repo = name.path.startsWith('library/') ? name.path.slice(8) : name.path;
  return `${repo}${name.tag !== undefined ? `:${name.tag}` : ''}${name.digest ? `@${name.digest}` : ''}`;
}

/** The repository part, familiar (`alpine`, `ghcr.io/a/b`). */
export const familiarRepository = (name: DockerName): string => familiarName({ domain: name.domain, path: name.path });

const PATH_TRANSPORTS = ['oci', 'oci-archive', 'docker-archive', 'rootfs', 'tar'] as const;

/** Parses any reference; bare names mean the local store. */
export function parseReference(text: string): Reference {
  if (text.startsWith('docker://')) return { transport: 'docker', name: parseDockerName(text.slice('docker://'.length)) };
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? '' : text.slice(0, colon);
  if ((PATH_TRANSPORTS as readonly string[]).includes(prefix)) {
    const body = text.slice(colon + 1);
    // skopeo splits path and image at the first colon after the transport (SplitPathAndImage).
    const split = body.indexOf(':');
    const path = split < 0 ? body : body.slice(0, split);
    const extra = split < 0 ? undefined : body.slice(split + 1);
    if (path === '') throw bad(text, 'the path is empty');
    switch (prefix) {
      case 'oci':
      case 'oci-archive':
        if (extra !== undefined && !/^[\w][\w.:/@+-]*$/.test(extra)) throw bad(text, `"${extra}" is not a valid tag`);
        return { transport: prefix, path, ...(extra ? { tag: extra } : {}) };
      case 'docker-archive':
        if (extra === undefined || extra === '') return { transport: prefix, path };
        if (/^@\d+$/.test(extra)) return { transport: prefix, path, index: Number(extra.slice(1)) };
        return { transport: prefix, path, name: parseDockerName(extra) };
      default:
        if (extra !== undefined) return { transport: prefix as 'rootfs' | 'tar', path: body };
        return { transport: prefix as 'rootfs' | 'tar', path };
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw bad(text, `unknown transport "${text.slice(0, text.indexOf(':'))}"`);
  return { transport: 'store', name: parseDockerName(text) };
}
