/**
 * Credentials the way docker keeps them: `$DOCKER_CONFIG/config.json` (default
 * `~/.docker/config.json`) with `auths` (base64 `user:password` in `auth`, or `identitytoken`),
 * `credHelpers` per host and a global `credsStore`, both run as `docker-credential-NAME get`.
 *
 *   const creds = await dockerCredentials('127.0.0.1:5000'); // { username, password } or undefined
 */
import { LayerkitError } from '../errors.ts';
import { host } from '../host.ts';
import { DOCKER_HUB } from './reference.ts';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth refresh token for the token server (docker's `identitytoken`). */
  identityToken?: string;
}

export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; [k: string]: unknown }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [other: string]: unknown;
}

/** Docker Hub's key in `auths`, as docker writes it. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
const CONFIG_CAP = 4 * 1024 * 1024;

export function dockerConfigPath(): string {
  const dir = host().env('DOCKER_CONFIG') ?? `${host().env('HOME') ?? ''}/.docker`;
  return `${dir}/config.json`;
}

/** The key docker uses for `registry` in `auths` and `credHelpers`. */
export function configKey(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_CONFIG_KEY : registry;
}

/** `https://host:port/v1/` → `host:port`, so keys written by older tools still match. */
function normaliseKey(key: string): string {
  const bare = key.replace(/^https?:\/\//, '').split('/')[0]!;
  return bare === 'index.docker.io' || bare === 'registry-1.docker.io' ? DOCKER_HUB : bare;
}

/** The parsed config; `{}` when there is none. A file that is not JSON is an error naming it. */
export async function readDockerConfig(path = dockerConfigPath()): Promise<DockerConfig> {
  let bytes: Uint8Array;
  try {
    const info = await host().stat(path);
    if (info.size > CONFIG_CAP) throw new LayerkitError('CONFIG_INVALID', `${path} is over 4 MiB`);
    bytes = new Uint8Array(await new Response(host().openRead(path)).arrayBuffer());
  } catch (error) {
    if ((error as { code?: string })?.code === 'ENOENT' || (error as { code?: string })?.code === 'NO_FILESYSTEM') return {};
    if (error instanceof LayerkitError) throw error;
    throw new LayerkitError('CONFIG_UNREADABLE', `${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as DockerConfig;
  } catch (cause) {
    throw new LayerkitError('CONFIG_INVALID', `${path} is not valid JSON`, { hint: 'fix or remove it', cause });
  }
}

/** What `config` holds for `registry`: inline credentials, a helper to run, or nothing. */
export function lookupCredentials(config: DockerConfig, registry: string): Credentials | { helper: string } | undefined {
  const wanted = normaliseKey(registry);
  const helper = Object.entries(config.credHelpers ?? {}).find(([key]) => normaliseKey(key) === wanted)?.[1];
  if (helper) return { helper };
  const entry = Object.entries(config.auths ?? {}).find(([key]) => normaliseKey(key) === wanted)?.[1];
  if (entry) {
    const creds: Credentials = {};
    if (typeof entry.auth === 'string' && entry.auth) {
      const decoded = decodeBase64(entry.auth);
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new LayerkitError('CONFIG_INVALID', `the auth entry for ${registry} is not base64 "user:password"`, { hint: `run layerkit login ${registry} again` });
      creds.username = decoded.slice(0, colon);
      creds.password = decoded.slice(colon + 1);
    } else if (typeof entry.username === 'string') {
      creds.username = entry.username;
      creds.password = typeof entry.password === 'string' ? entry.password : '';
    }
    if (typeof entry.identitytoken === 'string' && entry.identitytoken) creds.identityToken = entry.identitytoken;
    if (creds.username !== undefined || creds.identityToken !== undefined) return creds;
  }
  if (config.credsStore) return { helper: config.credsStore };
  return undefined;
}

/** The credentials for `registry` from docker's config (running a helper if it names one). */
export async function dockerCredentials(registry: string): Promise<Credentials | undefined> {
  const config = await readDockerConfig();
  const found = lookupCredentials(config, registry);
  if (!found || !('helper' in found)) return found;
  return runHelper(found.helper, registry);
}

async function runHelper(helper: string, registry: string): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) throw new LayerkitError('CONFIG_INVALID', `credential helper name "${helper}" is not a plain name`);
  const spawn = host().spawn;
  if (!spawn) {
    throw new LayerkitError('CREDENTIAL_HELPER_UNAVAILABLE', `credentials for ${registry} come from docker-credential-${helper}, and this runtime cannot run programs`, {
      hint: 'pass credentials explicitly (an "auths" entry or the API\'s credentials option)',
    });
  }
  const result = await spawn.call(host(), `docker-credential-${helper}`, ['get'], new TextEncoder().encode(configKey(registry)))
    .catch((cause: unknown) => Promise.reject(new LayerkitError('CREDENTIAL_HELPER_FAILED', `docker-credential-${helper} could not be run: ${(cause as Error).message}`, { hint: 'install it or remove it from ~/.docker/config.json', cause })));
  const out = new TextDecoder().decode(result.stdout).trim();
  if (result.status !== 0) {
    if (/credentials not found/i.test(out)) return undefined;
    throw new LayerkitError('CREDENTIAL_HELPER_FAILED', `docker-credential-${helper} get failed (exit ${result.status}): ${out.slice(0, 200)}`);
  }
  let reply: { Username?: string; Secret?: string };
  try {
    reply = JSON.parse(out);
  } catch (cause) {
    throw new LayerkitError('CREDENTIAL_HELPER_FAILED', `docker-credential-${helper} did not answer JSON`, { cause });
  }
  if (reply.Username === '<token>') return { identityToken: reply.Secret ?? '' };
  return { username: reply.Username ?? '', password: reply.Secret ?? '' };
}

/** `config` with `registry` logged in, written the way docker writes it (`auth` = base64 user:password). */
export function withLogin(config: DockerConfig, registry: string, username: string, password: string): DockerConfig {
  const auths = { ...(config.auths ?? {}) };
  for (const key of Object.keys(auths)) if (normaliseKey(key) === normaliseKey(registry)) delete auths[key];
  auths[configKey(registry)] = { auth: encodeBase64(`${username}:${password}`) };
  return { ...config, auths };
}

/** `config` without `registry`'s entry; `removed` says whether there was one. */
export function withoutLogin(config: DockerConfig, registry: string): { config: DockerConfig; removed: boolean } {
  const auths = { ...(config.auths ?? {}) };
  let removed = false;
  for (const key of Object.keys(auths)) if (normaliseKey(key) === normaliseKey(registry)) { delete auths[key]; removed = true; }
  return { config: { ...config, auths }, removed };
}

/** Docker's layout: tab-indented JSON, mode 0600, replaced atomically. */
export function serialiseDockerConfig(config: DockerConfig): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(config, null, '\t'));
}

function decodeBase64(value: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
  } catch (cause) {
    throw new LayerkitError('CONFIG_INVALID', 'an auth entry in the docker config is not base64', { cause });
  }
}

export function encodeBase64(value: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(value)));
}
