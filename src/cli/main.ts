/**
 * The layerkit command line (cac). Each command lives in its own file under commands/ and is
 * imported only when it runs, so `--help` stays instant.
 *
 *   layerkit digest layer.tar.gz --uncompressed
 */
import { cac, type CAC } from 'cac';
import { VERSION } from '../version.ts';
import { report } from './output.ts';
import { commandTable } from './commands/table.ts';

/** Builds the parser; exported so tests can parse without running anything. */
export function parseCLI(argv: string[]): CAC {
  const cli = cac('layerkit');
  cli.option('--debug', 'Print the cause chain of errors (default: off)');
  cli.option('--backend <name>', 'sha256 backend: wasm or native (default: native where the runtime has it)');
  for (const spec of commandTable) {
    const command = cli.command(spec.usage, spec.description);
    for (const [flag, description, config] of spec.options ?? []) command.option(flag, description, config);
    for (const example of spec.examples ?? []) command.example(example);
    command.action(async (...args: unknown[]) => {
      const { run } = await spec.load();
      await run(...args);
    });
  }
  cli.help();
  cli.version(VERSION);
  cli.parse(['node', 'layerkit', ...argv], { run: false });
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const cli = parseCLI(argv);
    if (cli.options.help || cli.options.version) return 0;
    if (!cli.matchedCommand) {
      if (cli.args.length === 0) {
        cli.outputHelp();
        return 0;
      }
      throw Object.assign(new Error(`unknown command "${cli.args[0]}"; see layerkit --help`), { name: 'CACError' });
    }
    await cli.runMatchedCommand();
    return 0;
  } catch (error) {
    return report(error, argv.includes('--debug'));
  }
}

/** Runs the CLI on this process's arguments and sets its exit status. */
export async function runCli(): Promise<void> {
  // `layerkit ls … | head`: a reader that stops early is normal, not an error to print.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
