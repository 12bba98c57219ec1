/**
 * Learning-rate schedules: linear warmup from 0, then constant, linear decay towards 0 or cosine
 * decay towards 0 (as transformers' get_*_schedule_with_warmup). `step` is the 1-based optimizer
 * step about to be taken; no step is wasted at lr 0: warmup step k uses peak * k / warmup, and the
 * decay reaches 0 one step after the last.
 */
import type { Schedule } from '../config/types.ts';

export interface ScheduleOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  schedule: Schedule;
}

export function learningRateAt(step: number, { peak, warmupSteps, totalSteps, schedule }: ScheduleOptions): number {
  if (step <= warmupSteps) return (peak * step) / warmupSteps;
  if (schedule === 'constant') return peak;
  const progress = Math.min(1, (step - warmupSteps - 1) / Math.max(1, totalSteps - warmupSteps));
  return schedule === 'linear' ? peak * (1 - progress) : peak * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** Warmup steps from the train config: warmupSteps when set, else ceil(warmupRatio * totalSteps). */
export function warmupStepsFor(train: { warmupSteps?: number; warmupRatio: number }, totalSteps: number): number {
  return train.warmupSteps ?? Math.ceil(train.warmupRatio * totalSteps);
}
