/** `layerkit logout [HOST]`: removes HOST's entry from docker's config.json, as `docker logout` does. */
import { configKey, readDockerConfig, withoutLogin } from '../../registry/credentials.ts';
import { writeLine } from '../output.ts';
import { prepare, type GlobalOptions } from '../setup.ts';
import { registryHost, writeDockerConfig } from './login.ts';

export async function run(server: string | undefined, options: GlobalOptions): Promise<void> {
  await prepare(options);
  const registry = registryHost(server);
  const { config, removed } = withoutLogin(await readDockerConfig(), registry);
  if (!removed) {
    writeLine(`Not logged in to ${registry}`);
    return;
  }
  await writeDockerConfig(config);
  writeLine(`Removing login credentials for ${configKey(registry)}`);
}
