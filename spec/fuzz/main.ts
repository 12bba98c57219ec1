/**
 * `npm run fuzz [-- --cases N --seed S]`: the fuzz suite at full size (default 5000 cases over all
 * input kinds) and the kill-and-resume check over 20 random kill points. Prints the summary and
 * exits 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { killAndResume } from './kill-resume.ts';
import { runFuzz } from './run.ts';
import { GENERATORS } from './cases.ts';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '5000' }, seed: { type: 'string', default: '1' }, kills: { type: 'string', default: '20' } } });
const kinds = Object.keys(GENERATORS).filter((k) => k !== 'train-output');
const trainCases = Math.max(1, Math.round(Number(values.cases) / 250)); // trainings cost seconds each
const perKind = Math.ceil((Number(values.cases) - trainCases) / kinds.length);
const summary = await runFuzz({ perKind, seed: Number(values.seed), trainCases, log: (line) => console.log(line) });
console.log(`fuzz: ${summary.cases} cases in ${summary.seconds.toFixed(0)} s: ${summary.failures.length} failures, ${summary.stackTraces} stack traces, ${summary.hangs} hangs`);
const kills = await killAndResume({ points: Number(values.kills), seed: Number(values.seed), log: (line) => console.log(line) });
console.log(`kill-and-resume: ${kills.points.length} kill points, ${kills.mismatches.length} with different metrics or model`);
process.exitCode = summary.failures.length + kills.mismatches.length > 0 ? 1 : 0;
