/**
 * The `prefopt` process: runs the program of program.ts and exits when the command is done, even
 * if a plugin left a timer running. bin/prefopt.js calls `runProcess` with the arena's commands;
 * run as a script (`tsx core/cli/main.ts ...`) it has the library's commands only.
 *
 * Errors: a UserError prints one line and exits 1; an error of the system (a file that cannot be
 * written, a full disk) prints its one-line message and exits 1; anything else is a bug: one line
 * and exit 2 (core/cli/errors.ts). `--debug` or PREFOPT_DEBUG=1 prints the stack traces, with
 * their causes (a plugin's own). A reader of stdout that goes away (`prefopt loss ... | head -1`)
 * ends the process quietly with status 0.
 */
import { readlinkSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { fileError } from '../io/fs-errors.ts';
import { describeError } from './errors.ts';
import { debugRequested, main, type CommandAdder } from './program.ts';

export { main, buildProgram, type CommandAdder } from './program.ts';

/** Waits until what was written to a stream has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 || stream.destroyed ? resolve() : stream.write('', () => resolve())));
}

/** `stdout`, with the file it was redirected to where the system says (Linux: /proc/self/fd/1). */
function stdoutName(): string {
  try {
    const target = readlinkSync('/proc/self/fd/1');
    return target.startsWith('/') ? `stdout (${target})` : 'stdout';
  } catch {
    return 'stdout';
  }
}

/**
 * Runs the CLI on process.argv and ends the process. Returns at once (no top-level await): a
 * plugin's import that never settles must leave the caller settled, so that Node emits
 * 'beforeExit' (core/loss/plugins.ts names the plugin) instead of exiting 13 without a word.
 */
export function runProcess(extraCommands: readonly CommandAdder[] = []): void {
  const argv = process.argv.slice(2);
  const fail = (error: unknown) => {
    const { message, status } = describeError(error, debugRequested(argv));
    process.stderr.write(message);
    process.exit(status);
  };
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    fail(fileError(stdoutName(), 'write', error)); // ENOSPC, EIO, ...: one line naming the file
  });
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  let done = false;
  process.on('beforeExit', () => {
    if (done) return;
    process.stderr.write('prefopt: the command stopped with nothing left to run (a promise that never settles)\n');
    process.exit(1);
  });
  void main(argv, extraCommands).then(async (status) => {
    done = true;
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(status);
  }, fail);
}

// Run as a script (`tsx core/cli/main.ts ...`): the library's commands only.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runProcess();
