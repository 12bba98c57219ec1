/**
 * The kit's seed: deterministic by default, so a plugin's CI is red or green for a reason.
 * `seed` option > PREFOPT_KIT_SEED (a number, or `random`) > the default. The seed in use is
 * printed with every failure, with how to replay it.
 */
export const DEFAULT_SEED = 20240229;
export const SEED_VARIABLE = 'PREFOPT_KIT_SEED';

export type SeedOption = number | 'random';

function parse(value: SeedOption | string, from: string): number {
  if (value === 'random') return Math.floor(Math.random() * 2 ** 31);
  const seed = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(seed)) throw new Error(`${from} must be an integer or 'random' (got ${JSON.stringify(value)})`);
  return seed;
}

/** The seed to run with: the option, else the environment variable, else DEFAULT_SEED. */
export function resolveSeed(option: SeedOption | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) return parse(option, "the kit's 'seed' option");
  const fromEnv = env[SEED_VARIABLE]?.trim();
  if (fromEnv) return parse(fromEnv, SEED_VARIABLE);
  return DEFAULT_SEED;
}

/** How to replay a run with `seed`, appended to every failure. */
export function replayHint(seed: number): string {
  return `kit seed ${seed} (replay: ${SEED_VARIABLE}=${seed}, or testLoss(loss, { seed: ${seed} }))`;
}
