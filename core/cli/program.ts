/**
 * The prefopt command line as a commander program. Each command lives in its own module under
 * core/cli/commands, which defines its options and imports what the command runs (core/cli/actions)
 * only when it runs, so `prefopt losses` loads neither TensorFlow.js nor any plugin module.
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.ts';
import { describeError } from './errors.ts';

/** Adds commands to the program; an application (bin/prefopt.js) passes its own after the library's. */
export type CommandAdder = (program: Command) => void;

export function buildProgram(extraCommands: readonly CommandAdder[] = []): Command {
  const program = new Command('prefopt')
    .description('Preference optimization of language models: DPO, MinorDPO, IPO, hinge and plugin losses')
    .option('--debug', 'print the stack trace of an error, with its causes (also PREFOPT_DEBUG=1)')
    .showHelpAfterError()
    .exitOverride();
  for (const add of [...COMMANDS, ...extraCommands]) add(program);
  return program;
}

/** Whether stack traces are wanted: `--debug` anywhere on the command line, or PREFOPT_DEBUG=1. */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || ['1', 'true'].includes(env.PREFOPT_DEBUG ?? '');
}

/** Runs the CLI on `argv` (without node and script); returns the exit status. Errors are printed, never thrown. */
export async function main(argv: string[], extraCommands: readonly CommandAdder[] = []): Promise<number> {
  try {
    await buildProgram(extraCommands).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const { message, status } = describeError(error, debugRequested(argv));
    process.stderr.write(message);
    return status;
  }
}
