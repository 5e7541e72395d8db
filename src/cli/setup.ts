/** What every command does first: load the core and apply the global options. */
import { init } from '../core/wasm.ts';
import { setSha256Backend } from '../digest/backends.ts';
import { UsageError } from '../errors.ts';

export interface GlobalOptions {
  debug?: boolean;
  backend?: string;
}

export async function prepare(options: GlobalOptions): Promise<void> {
  if (options.backend !== undefined) {
    if (options.backend !== 'wasm' && options.backend !== 'native') {
      throw new UsageError('BAD_OPTION', `unknown backend "${options.backend}"`, { hint: 'use wasm or native' });
    }
    setSha256Backend(options.backend);
  }
  await init();
}
