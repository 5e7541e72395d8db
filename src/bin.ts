/** The CLI's process entry on Node, Deno and Bun: `deno run -A src/bin.ts digest FILE`. */
import './node-setup.ts';
import { runCli } from './cli/main.ts';

await runCli();
