/**
 * Maps from DEP's output y ∈ [−1, 1] to muscle commands. All work in place (`out` may be `y`)
 * and do not allocate.
 */
import type { RobotSpec } from "../core/spec.js";

/** The output mappings by name. */
export const OUTPUT_MAPPINGS = ["myosuite", "linear", "sigmoid"] as const;
export type OutputMappingName = (typeof OUTPUT_MAPPINGS)[number];
export type OutputMappingKind = OutputMappingName;

/**
 * MyoSuite's map from an action to a muscle activation: u = 1 / (1 + exp(−5·(y − 0.5))).
 * y = −1, 0, 1 give u ≈ 0.00055, 0.0759, 0.924: DEP's range does not reach full activation.
 */
export function myosuiteSigmoid(y: ArrayLike<number>, out: Float64Array): Float64Array {
  if (out.length !== y.length) throw new RangeError(`myosuiteSigmoid: out has ${out.length} values, y has ${y.length}`);
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-5 * (y[i] - 0.5)));
  return out;
}

/**
 * Linear map [−1, 1] → [commandMin_i, commandMax_i] per muscle: u = min + (y + 1)/2·(max − min).
 * Values of y outside [−1, 1] map outside the range (the limits stage clamps).
 */
export function linearMap(y: ArrayLike<number>, commandMin: ArrayLike<number>, commandMax: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = out.length;
  if (y.length !== n || commandMin.length !== n || commandMax.length !== n) {
    throw new RangeError(`linearMap: expected ${n} values each, got y ${y.length}, min ${commandMin.length}, max ${commandMax.length}`);
  }
  for (let i = 0; i < n; i++) {
    const lo = commandMin[i];
    out[i] = lo + (y[i] + 1) * 0.5 * (commandMax[i] - lo);
  }
  return out;
}

/**
 * MyoSuite's sigmoid scaled over [commandMin_i, commandMax_i]: u = min + σ(5(y − 0.5))·(max − min).
 * On a body commanded in PWM (the muscle boards) it moves the way "myosuite" moves activations:
 * y = 0 gives 7.6 % of the range (the antagonists slack) rather than the half range of "linear"
 * (both sides half on, stiffening the joint), and DEP's range stops short of the maximum.
 */
export function sigmoidMap(y: ArrayLike<number>, commandMin: ArrayLike<number>, commandMax: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = out.length;
  if (y.length !== n || commandMin.length !== n || commandMax.length !== n) {
    throw new RangeError(`sigmoidMap: expected ${n} values each, got y ${y.length}, min ${commandMin.length}, max ${commandMax.length}`);
  }
  for (let i = 0; i < n; i++) {
    const lo = commandMin[i];
    out[i] = lo + (commandMax[i] - lo) / (1 + Math.exp(-5 * (y[i] - 0.5)));
  }
  return out;
}

/** A prepared mapping: `map(y, out)` writes commands to `out` (which may be `y`) and returns it. */
export interface OutputMapping {
  readonly kind: OutputMappingKind;
  map(y: ArrayLike<number>, out: Float64Array): Float64Array;
}

/**
 * A mapping for a spec's muscles; the per-muscle limits of "linear" are copied once here.
 * Default kind: "myosuite" when the spec commands activations, else "linear".
 */
export function createOutputMapping(spec: RobotSpec, kind: OutputMappingKind = defaultOutputMapping(spec)): OutputMapping {
  if (kind === "myosuite") return { kind, map: myosuiteSigmoid };
  if (kind === "linear" || kind === "sigmoid") {
    const lo = Float64Array.from(spec.muscles, (m) => m.commandMin);
    const hi = Float64Array.from(spec.muscles, (m) => m.commandMax);
    return kind === "linear" ? { kind, map: (y, out) => linearMap(y, lo, hi, out) } : { kind, map: (y, out) => sigmoidMap(y, lo, hi, out) };
  }
  throw new RangeError(`unknown output mapping ${JSON.stringify(kind)}: use "myosuite", "linear" or "sigmoid"`);
}

/** "myosuite" for activation commands (MuJoCo muscles), "linear" for anything else. */
export function defaultOutputMapping(spec: RobotSpec): OutputMappingKind {
  return spec.commandUnit === "activation" ? "myosuite" : "linear";
}
