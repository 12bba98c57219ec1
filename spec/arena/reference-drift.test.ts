/**
 * The arena's drift metrics reach metrics.jsonl through the trainer's pair-metric hook: once
 * registered, every training line carries them; MinorDPO never pushes a rejected answer that is
 * already below the reference, DPO does. Without the hook, the library logs none of them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { registerPairMetrics } from '../../core/index.ts';
import { MetricsLog } from '../../core/train/run-dir.ts';
import { train } from '../../core/train/trainer.ts';
import { referenceDrift } from '../../arena/metrics/reference-drift.ts';
import { quiet, tempDir, tinyRun } from '../train/helpers.ts';

async function trainingLines(loss: string, steps: number) {
  const dir = await tempDir();
  const result = await train(await tinyRun(dir, { loss: { name: loss, beta: 0.5 }, train: { maxSteps: steps } }), { progressStream: quiet });
  return (await new MetricsLog(path.join(result.runDir, 'metrics.jsonl')).read()).filter((l) => 'loss' in l);
}

test('without the hook registered, training lines carry no drift metrics (they are the arena\'s, not the library\'s)', async () => {
  for (const line of await trainingLines('dpo', 5)) {
    assert.ok(!('rejected_below_ref/with_gradient' in line) && !('logratio/chosen' in line), JSON.stringify(line));
  }
});

test('registered: MinorDPO has rejected answers below the reference yet never pushes them; DPO does; unregistering removes the metrics', async () => {
  const unregister = registerPairMetrics(referenceDrift);
  const minor = await trainingLines('minor-dpo', 30);
  assert.ok(minor.length > 0);
  assert.ok(minor.some((l) => (l['rejected_below_ref/fraction'] as number) > 0), 'some rejected answers went below the reference');
  for (const l of minor) assert.equal(l['rejected_below_ref/with_gradient'], 0, `step ${l.step}: MinorDPO never pushes a rejected answer that is below the reference`);
  const dpo = await trainingLines('dpo', 30);
  assert.ok(dpo.some((l) => (l['rejected_below_ref/with_gradient'] as number) > 0), 'DPO keeps pushing rejected answers below the reference');
  for (const l of dpo) assert.equal(typeof l['logratio/chosen'], 'number');
  unregister();
  for (const line of await trainingLines('dpo', 5)) assert.ok(!('logratio/chosen' in line));
});
