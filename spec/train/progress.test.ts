import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createProgress, formatDuration } from '../../core/train/progress.ts';

test('formatDuration rounds the total before splitting: never 60s or 60m', () => {
  assert.equal(formatDuration(119.6), '2m0s');
  assert.equal(formatDuration(119.4), '1m59s');
  assert.equal(formatDuration(59.7), '1m0s');
  assert.equal(formatDuration(3599.8), '1h0m');
  assert.equal(formatDuration(7385), '2h3m');
  assert.equal(formatDuration(4.2), '4s');
  assert.equal(formatDuration(118, 5), '2m0s'); // cli-progress rounds its eta to 5 s
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), '?');
  for (let t = 0; t < 8000; t += 0.7) assert.doesNotMatch(formatDuration(t, 5), /(^|[hm])60[sm]$/, `t=${t}`);
});

test('log lines show the eta in formatDuration\'s format', () => {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let out = '';
  (stream as unknown as PassThrough).on('data', (chunk: Buffer) => (out += chunk.toString()));
  const progress = createProgress(10, { label: 'train', stream, interactive: false });
  progress.update(1, { loss: 0.5 });
  progress.stop();
  assert.match(out, /^train step 1\/10 \| eta \d+s \| loss 0\.5000\n$/);
});
