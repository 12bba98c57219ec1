/** Every CLI command, in the order `prefopt --help` lists them. */
import type { Command } from 'commander';
import { addLossesCommand } from './losses.ts';
import { addLossCommand } from './loss.ts';
import { addLogprobsCommand } from './logprobs.ts';
import { addGenerateCommand } from './generate.ts';
import { addDocsCommand } from './docs.ts';
import { addConfigCommand } from './config.ts';
import { addTrainCommand } from './train.ts';
import { addEvalCommand } from './eval.ts';
import { addMergeCommand } from './merge.ts';
import { addPlotCommand } from './plot.ts';

export const COMMANDS: Array<(program: Command) => void> = [addLossesCommand, addLossCommand, addLogprobsCommand, addGenerateCommand, addDocsCommand, addConfigCommand, addTrainCommand, addEvalCommand, addPlotCommand, addMergeCommand];
