/**
 * Typed tar errors: every malformed archive ends in one of these, with a stable code, the index of
 * the entry where reading stopped and the phase (reading a header or reading an entry's data).
 *
 *   try { … } catch (e) { if (e instanceof TarError && e.code === 'TAR_BAD_CHECKSUM') … }
 */
import { LayerkitError } from '../errors.ts';

export type TarErrorCode =
  | 'TAR_BAD_CHECKSUM'      // a header's checksum matches neither the signed nor the unsigned sum
  | 'TAR_BAD_HEADER'        // a header field is malformed (numeric field, a zero block followed by data)
  | 'TAR_BAD_PAX'           // a pax record or value is malformed
  | 'TAR_BAD_SPARSE'        // a GNU sparse map is malformed or inconsistent with the entry's data
  | 'TAR_FIELD_TOO_LONG'    // a pax header, GNU long name/link or sparse map over 1 MiB
  | 'TAR_NEGATIVE_SIZE'     // an entry's size is negative
  | 'TAR_TRUNCATED'         // the stream ended inside a header or an entry's data
  | 'TAR_TOO_MANY_ENTRIES'; // the index would exceed its limits (entries, arena bytes)

/** Where reading stopped: while reading a header, or while reading an entry's content. */
export type TarErrorPhase = 'header' | 'data';

export class TarError extends LayerkitError {
  override name = 'TarError';
  constructor(
    code: TarErrorCode,
    message: string,
    /** Index of the entry being read when it failed (entries before it were read whole). */
    readonly entryIndex: number,
    readonly phase: TarErrorPhase,
    /** Byte offset in the uncompressed stream where the problem was found. */
    readonly offset: number,
  ) {
    super(code, message, { hint: HINTS[code] });
  }
  declare readonly code: TarErrorCode;
}

const HINTS: Record<TarErrorCode, string> = {
  TAR_BAD_CHECKSUM: 'is the input a tar, and is it still compressed with something other than gzip/zstd?',
  TAR_BAD_HEADER: 'the archive is corrupt; list it with `tar -tvf` to see where',
  TAR_BAD_PAX: 'the pax extended header is corrupt; re-create the archive',
  TAR_BAD_SPARSE: 'the sparse file map is corrupt; re-create the archive',
  TAR_FIELD_TOO_LONG: 'names and pax headers are limited to 1 MiB (as in Go and Docker)',
  TAR_NEGATIVE_SIZE: 'the archive is corrupt',
  TAR_TRUNCATED: 'the file is incomplete; download or copy it again',
  TAR_TOO_MANY_ENTRIES: 'the archive is larger than an index may hold',
};
