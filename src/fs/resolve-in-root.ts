/**
 * The one function that decides where an entry's name lands inside an extraction root: the name
 * is resolved as if the root were `/` (containerd's model). Leading `/` and `./` are stripped, `..`
 * in a name never leaves the root (PATH_ESCAPE), intermediate symlinks are followed inside the root
 * (an absolute target restarts at the root; a relative one that climbs above the root is refused),
 * at most 40 hops, and the final component is never followed (the caller replaces it). Nothing is
 * cached between calls: every entry is resolved against what the root holds right now.
 *
 *   resolveInRoot(probe, 'l/x')  // with l -> /etc in the root: ['etc', 'x']
 *
 * The same function serves the merge (a probe over the layer's own entries) and the writer (a
 * probe over the real directory), so both agree on what a name means.
 */
import { LayerkitError } from '../errors.ts';

export const MAX_SYMLINK_HOPS = 40;

/** What lies at a root-relative path right now: 'dir', 'symlink' (with its target), other, or nothing. */
export interface RootProbe {
  kind(path: string): 'dir' | 'symlink' | 'other' | undefined;
  readlink(path: string): string;
}

const split = (name: string) => name.split('/').filter((part) => part !== '' && part !== '.');

/** Splits an entry name into clean components; `..` may cancel a component but never leave the root. */
export function cleanName(name: string): string[] {
  const out: string[] = [];
  for (const part of split(name)) {
    if (part !== '..') out.push(part);
    else if (out.length > 0) out.pop();
    else throw new LayerkitError('PATH_ESCAPE', `entry "${name}" climbs out of the root with ".."`, { hint: 'the layer is hostile or broken; it is refused' });
  }
  return out;
}

/**
 * The components of the place `name` denotes inside the root: parents resolved (symlinks
 * followed inside the root), the last component kept as is. Throws PATH_ESCAPE, SYMLINK_LOOP or
 * PATH_NOT_DIRECTORY.
 */
export function resolveInRoot(probe: RootProbe, name: string): string[] {
  const pending = cleanName(name);
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      // only symlink targets bring `..` here (names were cleaned): a relative climb above the root
      // is what moby refuses (TestUnpackRejectsRelativeEscapeBeforeAbsoluteSymlink)
      if (resolved.length === 0) throw new LayerkitError('PATH_ESCAPE', `entry "${name}" goes through a symlink that climbs out of the root`, { hint: 'the layer is hostile; it is refused' });
      resolved.pop();
      continue;
    }
    if (pending.length === 0) {
      resolved.push(part);
      break;
    }
    const here = [...resolved, part].join('/');
    const kind = probe.kind(here);
    if (kind === 'symlink') {
      if (++hops > MAX_SYMLINK_HOPS) throw new LayerkitError('SYMLINK_LOOP', `entry "${name}": more than ${MAX_SYMLINK_HOPS} symlinks on its path`, { hint: 'the layer has a symlink loop' });
      const target = probe.readlink(here);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    if (kind !== undefined && kind !== 'dir') {
      throw new LayerkitError('PATH_NOT_DIRECTORY', `entry "${name}": "${here}" is not a directory`, { hint: 'the layer puts a file under a non-directory' });
    }
    resolved.push(part);
  }
  return resolved;
}
