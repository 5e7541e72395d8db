/** The process entry of the CLI on Node, Deno and Bun. */
import '../node.ts';
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
