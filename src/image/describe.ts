/**
 * What `docker inspect` and `docker history` show for an image, computed from the manifest and
 * config alone (no layer is read), plus docker's human units for the tables.
 *
 *   const json = await inspectImage(image, ['alpine:latest']); json.RootFS.Layers // diffIDs
 */
import { chainIDs } from './chain-id.ts';
import type { History, Image } from './types.ts';

export interface InspectOutput {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: string;
  Author: string;
  Architecture: string;
  Variant?: string;
  Os: string;
  Config: unknown;
  RootFS: { Type: string; Layers: string[] };
  Size: number;
  Layers: { digest: string; diffID: string; chainID: string; size: number; mediaType: string }[];
  Manifest: { digest: string; mediaType: string };
}

/** `repoTags` are familiar names (`alpine:latest`); RepoDigests pair each repository with the manifest digest. */
export async function inspectImage(image: Image, repoTags: string[] = []): Promise<InspectOutput> {
  const [config, layers, manifest] = await Promise.all([image.config(), image.layers(), image.manifestDescriptor()]);
  const chains = await chainIDs(layers.map((l) => l.diffID));
  const repositories = [...new Set(repoTags.map((t) => t.replace(/:[\w][\w.-]*$/, '').replace(/@.*$/, '')))];
  return {
    Id: (await image.manifest()).config.digest,
    RepoTags: repoTags.filter((t) => !t.includes('@')),
    RepoDigests: repositories.map((r) => `${r}@${manifest.digest}`),
    Created: config.created ?? '',
    Author: config.author ?? '',
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    Config: config.config ?? {},
    RootFS: { Type: config.rootfs.type, Layers: [...config.rootfs.diff_ids] },
    Size: layers.reduce((n, l) => n + l.size, 0),
    Layers: layers.map((l, i) => ({ digest: l.digest, diffID: l.diffID, chainID: chains[i]!, size: l.size, mediaType: l.mediaType })),
    Manifest: { digest: manifest.digest, mediaType: manifest.mediaType },
  };
}

export interface HistoryRow {
  id: string;
  created: string;
  createdBy: string;
  size: number;
  comment: string;
  emptyLayer: boolean;
}

/** History newest first, as docker prints it; the top row carries the image ID, the rest `<missing>`. */
export async function imageHistory(image: Image): Promise<HistoryRow[]> {
  const [config, layers] = await Promise.all([image.config(), image.layers()]);
  const history: History[] = config.history ?? layers.map(() => ({}));
  let layer = 0;
  const rows = history.map((h) => {
    const empty = h.empty_layer === true;
    const size = empty ? 0 : (layers[layer++]?.size ?? 0);
    return { id: '<missing>', created: h.created ?? '', createdBy: h.created_by ?? '', size, comment: h.comment ?? '', emptyLayer: empty };
  });
  rows.reverse();
  if (rows[0]) rows[0].id = (await image.manifest()).config.digest;
  return rows;
}

/** docker's units.HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`;
}

/** docker's units.HumanDuration, as "… ago". */
export function humanAgo(created: string, now = Date.now()): string {
  const then = Date.parse(created);
  if (!created || Number.isNaN(then)) return 'N/A';
  const seconds = Math.max(0, (now - then) / 1000);
  const hours = seconds / 3600;
  const text =
    seconds < 1 ? 'Less than a second'
    : seconds < 2 ? '1 second'
    : seconds < 60 ? `${Math.floor(seconds)} seconds`
    : seconds / 60 < 2 ? 'About a minute'
    : seconds / 60 < 60 ? `${Math.floor(seconds / 60)} minutes`
    : hours < 2 ? 'About an hour'
    : hours < 48 ? `${Math.floor(hours)} hours`
    : hours < 24 * 7 * 2 ? `${Math.floor(hours / 24)} days`
    : hours < 24 * 30 * 2 ? `${Math.floor(hours / 24 / 7)} weeks`
    : hours < 24 * 365 * 2 ? `${Math.floor(hours / 24 / 30)} months`
    : `${Math.floor(hours / 24 / 365)} years`;
  return `${text} ago`;
}

/** docker's stringutils.Ellipsis. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}

/** A table the way docker's tabwriter lays it out (min width 10, padding 3). */
export function formatTable(header: string[], rows: string[][]): string {
  const length = (c: string) => [...c].length;
  const widths = header.map((h, i) => Math.max(...[h, ...rows.map((r) => r[i] ?? '')].map((c) => Math.max(length(c) + 3, 10))));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - length(c)))).join('').trimEnd()).join('\n');
}
