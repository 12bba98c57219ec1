/** Running means of per-batch metrics, each batch weighted by its number of examples. */

/** The serializable state of a `WeightedMeans` (kept in checkpoints so a resumed run logs the same lines). */
export interface WeightedMeansState {
  /** Total weight added (examples). Checkpoints written before this name used `steps`. */
  weight: number;
  /** Weighted sum of each metric. */
  sums: Record<string, number>;
}

export class WeightedMeans {
  private sums: Record<string, number> = {};
  private totalWeight = 0;

  add(metrics: Record<string, number>, weight = 1): void {
    for (const [key, value] of Object.entries(metrics)) this.sums[key] = (this.sums[key] ?? 0) + value * weight;
    this.totalWeight += weight;
  }

  /** Total weight added so far (0 when nothing was added). */
  get weight(): number {
    return this.totalWeight;
  }

  means(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.sums).map(([key, sum]) => [key, sum / this.totalWeight]));
  }

  toJSON(): WeightedMeansState {
    return { weight: this.totalWeight, sums: { ...this.sums } };
  }

  static from(state: WeightedMeansState | { steps: number; sums: Record<string, number> }): WeightedMeans {
    const means = new WeightedMeans();
    means.sums = { ...state.sums };
    means.totalWeight = 'weight' in state ? state.weight : state.steps;
    return means;
  }
}
