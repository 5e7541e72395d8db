/**
 * Errors with a stable `code` that scripts can match on, and a message that says what to try.
 *
 *   throw new LayerkitError('DIGEST_INVALID', `"${s}" is not a digest`, { hint: 'expected sha256:<64 hex>' })
 */
export interface ErrorDetails {
  /** What the user can do about it; appended to the message. */
  hint?: string;
  cause?: unknown;
}

export class LayerkitError extends Error {
  override name = 'LayerkitError';
  constructor(readonly code: string, message: string, details: ErrorDetails = {}) {
    super(details.hint ? `${message}; ${details.hint}` : message, { cause: details.cause });
  }
}

/** A command was called wrongly (exit status 2 in the CLI). */
export class UsageError extends LayerkitError {
  override name = 'UsageError';
}

export const isLayerkitError = (e: unknown): e is LayerkitError => e instanceof LayerkitError;
