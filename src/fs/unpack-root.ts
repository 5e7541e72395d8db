/**
 * Where an unpack's entries go inside its root: resolveInRoot against the live directory, plus
 * the directories this unpack made (see Root).
 *
 *   const root = new Root(writer, 'rootfs.layerkit-partial');
 *   const at = root.place('usr/bin/env');   // the host path, parents resolved inside the root
 */
import type { TreeWriter } from '../host.ts';
import { resolveInRoot, type RootProbe } from './resolve-in-root.ts';

/** A name resolveInRoot would change: a leading or trailing `/`, `//`, or a `.` or `..` component. */
const UNCLEAN = /^\/|\/$|\/\/|(?:^|\/)\.\.?(?:\/|$)/;

/**
 * The paths of an extraction root, resolved against the live directory (see resolveInRoot).
 *
 * The one thing remembered across entries is which host paths this unpack made directories at
 * (`mkdir`): those are answered 'dir' without an lstat. That is no cached resolution (symlinks
 * are read afresh every time) and it stays true: nothing in an unpack ever removes or replaces a
 * directory it made (mkdirs replaces only a non-directory; symlink, link, mknod and createFile
 * fail on an existing name; a spooled body is renamed only onto a free place, and a rename never
 * replaces a directory with a file), and the staging directory is ours, mode 0700, until it is
 * renamed to the target.
 */
export class Root {
  readonly probe: RootProbe;
  readonly #madeDirs = new Set<string>();
  constructor(readonly writer: TreeWriter, readonly dir: string) {
    this.probe = {
      kind: (rel) => {
        const at = `${dir}/${rel}`;
        if (this.#madeDirs.has(at)) return 'dir';
        const kind = writer.kind(at);
        return kind === 'file' ? 'other' : kind;
      },
      readlink: (rel) => writer.readlink(`${dir}/${rel}`),
    };
  }

  /** The host path where entry `name` goes; resolved afresh on every call (see above). */
  place(name: string): string {
    // A clean name whose parent is a directory this unpack made resolves to itself: every
    // ancestor of that directory is one too, never replaced (see above), so resolveInRoot would
    // find each a 'dir' and keep the last component as is. Nearly every entry of an unpack.
    const slash = name.lastIndexOf('/');
    if (slash > 0 && !UNCLEAN.test(name) && this.#madeDirs.has(`${this.dir}/${name.slice(0, slash)}`)) return `${this.dir}/${name}`;
    const parts = resolveInRoot(this.probe, name);
    return parts.length === 0 ? this.dir : `${this.dir}/${parts.join('/')}`;
  }

  /**
   * Makes a directory at host path `at` (a place) and remembers that it is one; through `queue`
   * when given, whose steps the caller drains before anything else reads or writes the root.
   */
  mkdir(at: string, queue?: { mkdir(path: string, mode: number): void }): void {
    (queue ?? this.writer).mkdir(at, 0o700);
    this.#madeDirs.add(at);
  }

  /** Whether this unpack made a directory at host path `at`. */
  made(at: string): boolean {
    return this.#madeDirs.has(at);
  }
}
