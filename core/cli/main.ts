/**
 * The prefopt command line. Each command lives in its own module under core/cli/commands and
 * registers itself on the commander program. A UserError prints one line and exits 1; anything
 * else is a bug and keeps its stack trace.
 */
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.ts';
import { COMMANDS } from './commands/index.ts';

/** Adds commands to the program; an application (bin/prefopt.js) passes its own after the library's. */
export type CommandAdder = (program: Command) => void;

export function buildProgram(extraCommands: readonly CommandAdder[] = []): Command {
  const program = new Command('prefopt')
    .description('Preference optimization of language models: DPO, MinorDPO, IPO, hinge and plugin losses')
    .showHelpAfterError()
    .exitOverride();
  for (const add of [...COMMANDS, ...extraCommands]) add(program);
  return program;
}

export async function main(argv: string[], extraCommands: readonly CommandAdder[] = []): Promise<number> {
  try {
    await buildProgram(extraCommands).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UserError) {
      process.stderr.write(`prefopt: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

// Run as a script (`tsx core/cli/main.ts ...`): the library's commands only.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
