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

/** Options every registry command takes (skopeo's names). */
const REGISTRY_OPTIONS: OptionSpec[] = [
  ['--tls-verify <bool>', 'false: plain http to this registry, never as a fallback (default: true; also LAYERKIT_INSECURE_REGISTRIES=host,…)'],
  ['--creds <user:password>', 'Credentials for this registry (default: ~/.docker/config.json)'],
  ['--concurrency <n>', 'Layers transferred at once (default: 3)'],
];
/** For commands that read docker:// images (inspect, history, ls, copy). */
const REGISTRY_READ_OPTIONS: OptionSpec[] = REGISTRY_OPTIONS.slice(0, 2);
/** copy's registry options, skopeo's names. */
const COPY_REGISTRY_OPTIONS: OptionSpec[] = [
  ...REGISTRY_READ_OPTIONS,
  ['--src-tls-verify <bool>', 'false: plain http to the source registry (default: true)'],
  ['--dest-tls-verify <bool>', 'false: plain http to the destination registry (default: true)'],
  ['--src-creds <user:password>', 'Credentials for the source registry (default: ~/.docker/config.json)'],
  ['--dest-creds <user:password>', 'Credentials for the destination registry (default: ~/.docker/config.json)'],
  ['--all', 'With a docker:// destination: push every image of the source\'s index, then the index (default: off)'],
];
const PROGRESS_OPTIONS: OptionSpec[] = [
  ['--progress <mode>', 'auto, tty (bars), plain (a line per status), json (a JSON object per event) (default: auto)'],
  ['-q, --quiet', 'No progress output (default: off)'],
];

export const commandTable: CommandSpec[] = [
  {
    usage: 'tar <action> <file>',
    description: 'tar ls FILE: list a tar (gzip, zstd or none, by magic bytes) as Go\'s archive/tar reads it',
    options: [
      ['--json', 'One tar entry JSON object per line (docs/cli.md) (default: off)'],
      ['--sha256', 'Add each file\'s content digest (default: off)'],
    ],
    examples: ['layerkit tar ls layer.tar.gz', 'layerkit tar ls layer.tar --json --sha256'],
    load: () => import('./tar-ls.ts'),
  },
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
  {
    usage: 'inspect <image>',
    description: 'Show an image as docker inspect does, plus each layer\'s digest, diffID, chainID, size and media type',
    options: [
      ['--raw <what>', 'Print the stored bytes of the manifest, config or index, unchanged (default: off)'],
      ['--platform <os/arch[/variant]>', 'Pick from an index (default: the host\'s, else the only one)'],
      ...REGISTRY_READ_OPTIONS,
    ],
    examples: ['layerkit inspect oci:sample/oci:latest', 'layerkit inspect --raw manifest docker-archive:saved.tar'],
    load: () => import('./inspect.ts'),
  },
  {
    usage: 'history <image>',
    description: 'Show how an image was made, as docker history does (newest first)',
    options: [
      ['--no-trunc', 'Do not truncate IDs and commands (default: truncate)'],
      ['--json', 'Print [{"id", "created", "createdBy", "size", "comment", "emptyLayer"}] (default: off)'],
      ['--platform <os/arch[/variant]>', 'Pick from an index (default: the host\'s, else the only one)'],
      ...REGISTRY_READ_OPTIONS,
    ],
    load: () => import('./history.ts'),
  },
  {
    usage: 'images',
    description: 'List the images in the local store ($LAYERKIT_HOME, default ~/.local/share/layerkit)',
    options: [
      ['--json', 'Print [{"repository", "tag", "id", "digest", "created", "size"}] (default: off)'],
      ['--no-trunc', 'Do not truncate image IDs (default: truncate)'],
    ],
    load: () => import('./images.ts'),
  },
  {
    usage: 'copy <source> <destination>',
    description: 'Copy an image between any two references (oci:, oci-archive:, docker-archive:, rootfs:, tar:, store NAME), verifying every blob',
    options: [
      ['--platform <os/arch[/variant]>', 'Pick from an index (default: the host\'s, else the only one)'],
      ['--additional-tag <name>', 'Another NAME[:TAG] for docker-archive: and store destinations (repeatable)'],
      ['--quiet', 'Print nothing on success (default: off)'],
      ...COPY_REGISTRY_OPTIONS,
    ],
    examples: ['layerkit copy oci:dir:latest docker-archive:out.tar:me/app:1', 'layerkit copy docker-archive:saved.tar myapp:latest'],
    load: () => import('./copy.ts'),
  },
  {
    usage: 'tag <source> <target>',
    description: 'Give an image in the local store another NAME[:TAG]',
    load: () => import('./tag.ts'),
  },
  {
    usage: 'rmi <...names>',
    description: 'Remove names from the local store, then the blobs nothing else uses',
    options: [['--no-prune', 'Keep the blobs (default: remove unreferenced blobs)']],
    load: () => import('./rmi.ts'),
  },
  {
    usage: 'gc',
    description: 'Remove blobs no name in the local store reaches, and leftovers of interrupted copies',
    options: [['--json', 'Print {"removed", "freed", "kept"} (default: off)']],
    load: () => import('./gc.ts'),
  },
  {
    usage: 'pull <image>',
    description: 'Pull docker://HOST/REPO[:TAG|@DIGEST] into the local store, as docker pull does (layers the store has are skipped)',
    options: [
      ...REGISTRY_OPTIONS,
      ['--platform <os/arch>', 'Image to pick from an index (default: the host\'s, else the only one)'],
      ['--all', 'Keep the whole index and pull every platform (default: off)'],
      ...PROGRESS_OPTIONS,
    ],
    examples: ['layerkit pull docker://127.0.0.1:5000/team/app:v1 --tls-verify=false'],
    load: () => import('./pull.ts'),
  },
  {
    usage: 'push <source> <destination>',
    description: 'Push an image (any reference) to docker://HOST/REPO[:TAG]: present blobs skipped, mounted across repositories when it can',
    options: [
      ...REGISTRY_OPTIONS,
      ['--platform <os/arch>', 'Image to pick when the source is an index (default: the host\'s)'],
      ['--all', 'Push every image of the source\'s index, then the index (default: off)'],
      ['--mount-from <repo>', 'A repository on the same registry that may hold the layers; repeatable (default: none)'],
      ['--chunk-size <bytes>', 'Upload in PATCHes of this size (default: one streamed PATCH per blob)'],
      ...PROGRESS_OPTIONS,
    ],
    examples: ['layerkit push oci:./out:v1 docker://127.0.0.1:5000/team/app:v1 --tls-verify=false'],
    load: () => import('./push.ts'),
  },
  {
    usage: 'ls <image> [path]',
    description: 'List the union view of an image (whiteouts applied, never shown), or one layer\'s own entries with --layer',
    options: [
      ['-R, --recursive', 'List the whole subtree (default: the directory\'s children)'],
      ['--layer <n>', 'View layer n alone, 0 = bottom (default: the merge of all layers)'],
      ['--sha256', 'Add each file\'s content digest (default: off)'],
      ['--json', 'One JSON object per line: {"path","type","mode","uid","gid","size","mtime",…,"layer"} (default: ls -l style lines)'],
      ['--platform <os/arch>', 'Pick from an index (default: the host\'s)'],
      ...REGISTRY_READ_OPTIONS,
    ],
    examples: ['layerkit ls oci:./img:latest etc', 'layerkit ls -R --json --sha256 oci:./img:latest'],
    load: () => import('./ls.ts'),
  },
  {
    usage: 'cat <image> <path>',
    description: 'Print a file of the union view (symlinks followed inside the image, at most 40)',
    options: [['--platform <os/arch>', 'Pick from an index (default: the host\'s)'], ...REGISTRY_READ_OPTIONS],
    examples: ['layerkit cat oci:./img:latest /etc/os-release'],
    load: () => import('./cat.ts'),
  },
  {
    usage: 'export <image>',
    description: 'Write the union view as one flattened tar (docker export): no whiteouts, hardlinks kept, deterministic order',
    options: [
      ['-o, --output <file>', 'Write to this file (default: standard output)'],
      ['--platform <os/arch>', 'Pick from an index (default: the host\'s)'],
      ...REGISTRY_READ_OPTIONS,
    ],
    examples: ['layerkit export oci:./img:latest -o rootfs.tar'],
    load: () => import('./export.ts'),
  },
  {
    usage: 'unpack <image> <dir>',
    description: 'Write the union view to a new directory, safely (umoci unpack): staged, modes and times applied last',
    options: [
      ['--rootless', 'No chown; device nodes skipped with a warning (default: off)'],
      ['--whiteout-format <format>', 'overlayfs: one lower dir per layer (DIR/0 bottom …), whiteouts as 0/0 char devices, opaque dirs with trusted.overlay.opaque=y; prints lowerdir=… (default: one merged tree)'],
      ['--platform <os/arch>', 'Pick from an index (default: the host\'s)'],
    ],
    examples: ['layerkit unpack oci:./img:latest rootfs', 'layerkit unpack oci:./img:latest layers --whiteout-format overlayfs'],
    load: () => import('./unpack.ts'),
  },
  {
    usage: 'tags <repository>',
    description: 'List the tags of docker://HOST/REPO (every page)',
    options: [...REGISTRY_OPTIONS, ['--json', 'Print a JSON array (default: one tag per line)']],
    load: () => import('./tags.ts'),
  },
  {
    usage: 'login [server]',
    description: 'Check credentials against a registry and store them in ~/.docker/config.json as docker does (default server: docker.io)',
    options: [
      ['-u, --username <user>', 'User name (required)'],
      ['-p, --password <password>', 'Password (prefer --password-stdin)'],
      ['--password-stdin', 'Read the password from standard input (default: off)'],
      ['--tls-verify <bool>', 'false: speak plain http to this registry (default: true)'],
    ],
    load: () => import('./login.ts'),
  },
  {
    usage: 'logout [server]',
    description: 'Remove a registry\'s credentials from ~/.docker/config.json (default server: docker.io)',
    load: () => import('./logout.ts'),
  },
  {
    usage: 'diff <a> <b>',
    description: 'What changed from A to B, as docker diff prints it (A/C/D lines), for images, layers, rootfs: dirs and tar: files',
    options: [
      ['--json', 'Print [{"kind","path","type","sizeBefore"?,"sizeAfter"?}] (default: lines)'],
      ['-o, --output <file>', 'Also write the layer tar (with whiteouts) that turns A into B (default: none)'],
      ['--layer <n[:m]>', 'Compare layer n of A with layer m of B (default m = n), each as its own tree (default: the union views)'],
      ['--content', 'Compare file contents whenever sizes match, even when the mtimes agree (default: containerd\'s rule)'],
      ['--ignore <what>', 'Leave an attribute out of the comparison: mtime (then content decides) (default: none)'],
      ['--parents', 'Also list each directory with a change below it as C, as docker diff shows overlayfs (default: containerd\'s list)'],
      ['--opaque', 'In --output, use one opaque marker where it replaces several whiteouts (default: whiteouts only, as containerd)'],
      ['--summary', 'Print counts and bytes of files added, removed and changed (default: off)'],
      ['--platform <os/arch>', 'Pick from an index (default: the host\'s)'],
      ...REGISTRY_READ_OPTIONS,
    ],
    examples: ['layerkit diff oci:./img:v1 oci:./img:v2', 'layerkit diff rootfs:./before rootfs:./after --output layer.tar', 'layerkit diff oci:./img:v1 oci:./img:v1 --layer 0:1'],
    load: () => import('./diff.ts'),
  },
  {
    usage: 'layers <image>',
    description: 'Per layer: created-by, size, files added/changed/removed, bytes wasted; then dive\'s efficiency, wasted bytes and inefficiencies',
    options: [
      ['--json', 'Print {"layers","efficiency","wastedBytes","userWastedPercent","inefficiencies"} (default: tables)'],
      ['--ci', 'Check the thresholds below and exit 1 when one is broken (default: off)'],
      ['--lowest-efficiency <ratio>', 'Fail below this efficiency, 0-1 (default: 0.9)'],
      ['--highest-wasted-bytes <size>', 'Fail above this many wasted bytes, e.g. 20MB (default: disabled)'],
      ['--highest-user-wasted-percent <ratio>', 'Fail above this ratio of wasted to user-added bytes, 0-1 (default: 0.1)'],
      ['--top <n>', 'Inefficiencies listed (default: 10)'],
      ['--platform <os/arch>', 'Pick from an index (default: the host\'s)'],
      ...REGISTRY_READ_OPTIONS,
    ],
    examples: ['layerkit layers oci:./img:latest', 'layerkit layers oci:./img:latest --ci --lowest-efficiency 0.95'],
    load: () => import('./layers.ts'),
  },
];
