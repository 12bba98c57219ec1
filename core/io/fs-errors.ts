/**
 * File-system failures in words: `runs/x/metrics.jsonl: cannot write: ENOSPC (no space left on
 * device)`. A failed read or write of a path the user chose is a UserError (one line, no stack).
 */
import { UserError } from '../errors.ts';

const MEANINGS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  EIO: 'input/output error',
};

/** Whether `error` is a Node.js system error (it has an errno code such as ENOENT). */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code!);
}

/** `CODE (meaning)` of a system error, or its message. */
export function describeSystemError(error: unknown): string {
  if (!isSystemError(error)) return (error as Error)?.message ?? String(error);
  const meaning = MEANINGS[error.code!];
  return meaning ? `${error.code} (${meaning})` : error.code!;
}

/** A system error as a UserError naming the path and what was being done; other errors unchanged. */
export function fileError(file: string, action: string, error: unknown): unknown {
  if (!isSystemError(error)) return error;
  return new UserError(`${file}: cannot ${action}: ${describeSystemError(error)}`);
}
