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

/**
 * A duration as `45s`, `1m5s` or `2h3m`. The total is rounded (to `roundTo` seconds) before it is
 * split, so a remainder never rounds up to `60s` (`1m60s`) or `60m`.
 */
export function formatDuration(seconds: number, roundTo = 1): string {
  if (!Number.isFinite(seconds)) return '?';
  const total = Math.max(0, roundTo * Math.round(seconds / roundTo));
  if (total >= 3600) return `${Math.floor(total / 3600)}h${Math.floor((total % 3600) / 60)}m`;
  if (total >= 60) return `${Math.floor(total / 60)}m${total % 60}s`;
  return `${total}s`;
}

function eta(startedAt: number, done: number, total: number): string {
  if (done === 0) return '?';
  return formatDuration(((Date.now() - startedAt) / 1000 / done) * (total - done));
}

export function createProgress(total: number, options: { label: string; startStep?: number; stream?: NodeJS.WriteStream; interactive?: boolean }): Progress {
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? Boolean(stream.isTTY);
  const startedAt = Date.now();
  const first = options.startStep ?? 0;
  if (interactive) {
    const bar = new cliProgress.SingleBar(
      { format: `${options.label} [{bar}] {value}/{total} | eta {eta_formatted} | {metrics}`, stream, hideCursor: true, etaBuffer: 20,
        // cli-progress's own time format splits before rounding and can print `1m60s`.
        // Its eta is a number of seconds, or 'NULL' / 'INF' before it can be estimated.
        formatTime: (t: number, _options: unknown, roundTo: number) => (typeof t === 'number' ? formatDuration(t, roundTo) : String(t)) },
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
