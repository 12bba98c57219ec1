/**
 * The loss arena: an application of prefopt (it imports only the public API, core/index.ts) that
 * compares preference losses on a synthetic arithmetic task: any losses x learning rates x seeds
 * with statistics (`prefopt compare`), the MinorDPO paper in miniature (`prefopt reproduce`) and
 * the task's data tools (`prefopt data`).
 *
 * ARENA_COMMANDS are the arena's CLI commands; bin/prefopt.js adds them to the library's. Their
 * modules import nothing heavy at top level: each action loads what it needs when it runs.
 */
import type { Command } from 'commander';
import { addCompareCommand } from './cli/compare.ts';
import { addDataCommand } from './cli/data.ts';
import { addReproduceCommand } from './cli/reproduce.ts';

export const ARENA_COMMANDS: Array<(program: Command) => void> = [addDataCommand, addCompareCommand, addReproduceCommand];
