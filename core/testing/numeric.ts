/** Tolerance checks used by the property-test kit. */

/** Relative 1e-5 or absolute 1e-6: the float32-precision agreement the kit asks of losses. */
export const FLOAT32_TOLERANCE = { relative: 1e-5, absolute: 1e-6 };

/** Whether `actual` agrees with `expected` within a relative or an absolute tolerance. */
export function isClose(actual: number, expected: number, tolerance = FLOAT32_TOLERANCE): boolean {
  if (Number.isNaN(actual) || Number.isNaN(expected)) return false;
  if (actual === expected) return true;
  const diff = Math.abs(actual - expected);
  return diff <= tolerance.absolute || diff <= tolerance.relative * Math.abs(expected);
}

/** Throws an Error with `message` and the two values when they are not close. */
export function assertClose(actual: number, expected: number, message: string, tolerance = FLOAT32_TOLERANCE): void {
  if (!isClose(actual, expected, tolerance)) {
    throw new Error(`${message}: got ${actual}, expected ${expected} (tolerance rel ${tolerance.relative}, abs ${tolerance.absolute})`);
  }
}
