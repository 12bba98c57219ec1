/** Every seed loss, selected by name in a config, trains a tiny model: loss down, reward accuracy up. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MetricsLog } from '../../core/train/run-dir.ts';
import { train } from '../../core/train/trainer.ts';
import { quiet, tempDir, tinyRun } from './helpers.ts';
import path from 'node:path';

const LOSSES: Array<[string, Record<string, unknown>]> = [
  ['dpo', { beta: 0.5 }],
  ['minor-dpo', { beta: 0.5 }],
  ['ipo', { beta: 0.5 }],
  ['hinge', { beta: 0.5 }],
];

describe('training with each seed loss', () => {
  for (const [name, params] of LOSSES) {
    test(`${name}: 30 steps lower the loss and raise reward accuracy on the letter task`, async () => {
      const dir = await tempDir();
      const loaded = await tinyRun(dir, { loss: { name, ...params } });
      const result = await train(loaded, { progressStream: quiet });
      const lines = (await new MetricsLog(path.join(result.runDir, 'metrics.jsonl')).read()).filter((l) => 'loss' in l);
      const first = lines[0]!;
      const last = lines.at(-1)!;
      assert.equal(result.steps, 30);
      assert.ok((last.loss as number) < (first.loss as number), `${name}: loss ${first.loss} -> ${last.loss}`);
      assert.ok((result.eval['eval_rewards/accuracies'] ?? 0) >= 0.75, `${name}: eval reward accuracy ${result.eval['eval_rewards/accuracies']}`);
      for (const key of ['rewards/chosen', 'rewards/rejected', 'rewards/accuracies', 'rewards/margins', 'logps/chosen', 'logps/rejected', 'grad_norm', 'learning_rate', 'tokens/s']) {
        assert.ok(key in last, `metrics.jsonl has '${key}'`);
      }
    });
  }
});
