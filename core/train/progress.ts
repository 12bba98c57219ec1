/**
 * Progress of a long run: a live bar (cli-progress) on a terminal; plain log lines otherwise
 * (CI logs, pipes), one per logging step. Both go to stderr so stdout stays for results.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Advances to `step` of the total, showing a few metrics. */
  update(step: number, metrics: Record<string, number>): void;
  /** A message that must be seen (evaluations, checkpoints). */
  log(line: string): void;
  stop(): void;
}

function format(metrics: Record<string, number>): string {
  return Object.entries(metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`).join('  ');
}

function eta(startedAt: number, done: number, total: number): string {
  if (done === 0) return '?';
  const seconds = ((Date.now() - startedAt) / 1000 / done) * (total - done);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s` : `${Math.round(seconds)}s`;
}

export function createProgress(total: number, options: { label: string; startStep?: number; stream?: NodeJS.WriteStream; interactive?: boolean }): Progress {
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? Boolean(stream.isTTY);
  const startedAt = Date.now();
  const first = options.startStep ?? 0;
  if (interactive) {
    const bar = new cliProgress.SingleBar(
      { format: `${options.label} [{bar}] {value}/{total} | eta {eta_formatted} | {metrics}`, stream, hideCursor: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, first, { metrics: '' });
    return {
      update: (step, metrics) => bar.update(step, { metrics: format(metrics) }),
      log: (line) => {
        stream.write(`\r\x1b[2K${line}\n`);
        bar.render();
      },
      stop: () => bar.stop(),
    };
  }
  return {
    update: (step, metrics) => stream.write(`${options.label} step ${step}/${total} | eta ${eta(startedAt, step - first, total - first)} | ${format(metrics)}\n`),
    log: (line) => stream.write(`${line}\n`),
    stop: () => {},
  };
}
