/**
 * The prefopt command line. Each command lives in its own module under core/cli/commands and
 * registers itself on the commander program. A UserError prints one line and exits 1; anything
 * else is a bug and keeps its stack trace.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.ts';
import { COMMANDS } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('prefopt')
    .description('Preference optimization of language models: DPO, MinorDPO, IPO, hinge and plugin losses')
    .showHelpAfterError()
    .exitOverride();
  for (const add of COMMANDS) add(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
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

process.exitCode = await main(process.argv.slice(2));
