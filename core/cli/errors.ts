/**
 * How the CLI reports an error: one line on stderr, never a stack trace or a dump of source,
 * unless debugging (`--debug`, PREFOPT_DEBUG=1), where the stacks of the error and its causes
 * (a plugin's own error) follow.
 *
 * Why never the raw error: Node prints an uncaught error with the source line it was thrown
 * from, and for minified code (tfjs-backend-wasm.js) that line is the whole 40 KB file.
 */
import { UserError } from '../errors.ts';

/** Longest message printed: a message that embeds a whole file or tensor is cut here. */
const MAX_MESSAGE = 1000;

export interface ReportedError {
  /** What to write to stderr (ends with a newline). */
  message: string;
  /** The exit status: 1 for the user's or the system's error, 2 for a bug. */
  status: number;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? (error instanceof Error ? error.name : 'unknown error');
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}...` : line;
}

/** A failed system call (EACCES, ENOSPC, EISDIR, ...): the environment's error, not a bug. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** The stack of an error and of each of its causes. */
function stacks(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(`${depth > 0 ? 'caused by: ' : ''}${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  return `${parts.join('\n')}\n`;
}

export function describeError(error: unknown, debug: boolean): ReportedError {
  const known = error instanceof UserError || isSystemError(error);
  const line = known ? `prefopt: ${firstLine(error)}` : `prefopt: unexpected error: ${firstLine(error)}`;
  const hint = known || debug ? '' : ' (run with --debug or PREFOPT_DEBUG=1 for the stack trace)';
  return { message: `${line}${hint}\n${debug ? stacks(error) : ''}`, status: known ? 1 : 2 };
}
