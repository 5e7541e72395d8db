/**
 * Every command in one typed table: usage, description, options (each with its default in the
 * description), and a lazy loader for the code that runs it.
 */
type OptionSpec = [flag: string, description: string, config?: { default?: unknown }];

export interface CommandSpec {
  usage: string;
  description: string;
  options?: OptionSpec[];
  examples?: string[];
  load: () => Promise<{ run: (...args: any[]) => Promise<void> }>;
}

export const commandTable: CommandSpec[] = [
  {
    usage: 'digest <file>',
    description: 'Print the sha256 (or sha512) digest of a file, as OCI writes it',
    options: [
      ['--uncompressed', 'Hash the decompressed bytes (a layer\'s diffID); gzip detected by magic (default: off)'],
      ['--algorithm <name>', 'sha256 or sha512 (default: sha256)'],
      ['--json', 'Print {"digest", "size"} (default: off)'],
    ],
    examples: ['layerkit digest layer.tar.gz', 'layerkit digest layer.tar.gz --uncompressed --json'],
    load: () => import('./digest.ts'),
  },
];
