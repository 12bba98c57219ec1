/** A loss as `prefopt losses` lists it: plain JSON, no functions, no tensors. */
import type { PreferenceLoss } from './contract.ts';

/** The JSON description of a loss (`prefopt losses --json`, and the built registry's `listing`). */
export interface LossListing {
  name: string;
  aliases: string[];
  description: string;
  formula: string;
  paper: { title: string; url: string };
  requiresReference: boolean;
  referenceFree: boolean;
  params: Record<string, Record<string, unknown>>;
  invariants: string[];
}

export function describeLoss(loss: PreferenceLoss<any>): LossListing {
  return JSON.parse(
    JSON.stringify({
      name: loss.name,
      aliases: loss.aliases ?? [],
      description: loss.description,
      formula: loss.formula,
      paper: loss.paper,
      requiresReference: loss.requiresReference,
      referenceFree: !loss.requiresReference,
      params: Object.fromEntries(Object.entries(loss.paramsSchema.properties).map(([key, spec]) => [key, { ...spec }])),
      invariants: (loss.invariants ?? []).map((invariant) => invariant.kind),
    }),
  ) as LossListing;
}
