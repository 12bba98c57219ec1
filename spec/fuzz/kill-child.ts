/**
 * Child process of the kill-and-resume check: trains a config and kills itself with SIGKILL at
 * the given point: after optimizer step N (`step:N`), while checkpoint N is being written
 * (`checkpoint:N`), or while the final model/ is being written (`model`).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../core/config/load.ts';
import { train } from '../../core/train/trainer.ts';

const [configFile, point] = process.argv.slice(2) as [string, string];
const loaded = await loadConfig(configFile);
const runDir = loaded.config.output;
const kill = () => process.kill(process.pid, 'SIGKILL');
const [where, n] = point.split(':');
if (where === 'checkpoint' || where === 'model') {
  // Watch for the temporary directory of the write; kill as soon as it exists.
  const dir = where === 'model' ? runDir : path.join(runDir, 'checkpoints');
  const prefix = where === 'model' ? '.model.' : `.step-${String(n).padStart(6, '0')}.`;
  setInterval(() => {
    try {
      if (readdirSync(dir).some((name) => name.startsWith(prefix) && name.endsWith('.tmp'))) kill();
    } catch {
      // not created yet
    }
  }, 0);
}
const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
const afterStep = (step: number): void => {
  if (where === 'step' && step === Number(n)) kill();
};
await train(loaded, { progressStream: quiet, plots: false, afterStep });
process.exit(0);
