/**
 * A mistake by the user (bad file, bad config, unknown name): the CLI prints its message on one
 * line and exits non-zero, without a stack trace. Any other error is a bug and keeps its stack.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** `FILE:LINE: message`, the shape of every error about a line of an input file. */
export function lineError(file: string, line: number, message: string): UserError {
  return new UserError(`${file}:${line}: ${message}`);
}
