/**
 * `layerkit login HOST`: checks the credentials against the registry, then stores them in
 * docker's config.json the way docker does (`auths[HOST].auth` = base64 user:password, tabs, 0600).
 */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../../errors.ts';
import { type DockerConfig, dockerConfigPath, readDockerConfig, serialiseDockerConfig, withLogin } from '../../registry/credentials.ts';
import { parseDockerReference } from '../../registry/reference.ts';
import { writeLine } from '../output.ts';
import { registryClient, type RegistryCliOptions } from '../registry-options.ts';
import { prepare, type GlobalOptions } from '../setup.ts';

interface LoginOptions extends GlobalOptions, RegistryCliOptions {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

/** `docker://host/x`, `https://host`, `host` → `host` (docker.io for Docker Hub). */
export function registryHost(text: string | undefined): string {
  if (!text) return 'docker.io';
  const bare = text.replace(/^docker:\/\//, '').replace(/^https?:\/\//, '').split('/')[0]!;
  return parseDockerReference(`${bare}/x`).registry;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Replaces config.json atomically, readable by its owner only (as docker writes it). */
export async function writeDockerConfig(config: DockerConfig): Promise<void> {
  const path = dockerConfigPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.layerkit-${process.pid}`;
  await writeFile(temp, serialiseDockerConfig(config), { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}

export async function run(server: string | undefined, options: LoginOptions): Promise<void> {
  const registry = registryHost(server);
  const username = options.username === undefined ? undefined : String(options.username);
  if (!username) throw new UsageError('BAD_OPTION', 'login needs --username', { hint: 'layerkit login HOST -u USER --password-stdin' });
  const password = options.passwordStdin ? await readStdin() : options.password === undefined ? undefined : String(options.password);
  if (!password) throw new UsageError('BAD_OPTION', 'login needs a password', { hint: 'pass --password-stdin and write it to standard input' });
  await prepare(options);
  await registryClient(registry, { ...options, creds: `${username}:${password}` }).session.verifyCredentials();
  await writeDockerConfig(withLogin(await readDockerConfig(), registry, username, password));
  writeLine('Login Succeeded');
}
