/**
 * Intrinsic signals: numbers a learner adds to its reward (r = R + α·R_int) and a planner turns
 * into a cost (−R_int), computed for a batch of transitions. Higher is more interesting (more
 * novel, more influential, more regular). Each signal is one small module behind this interface.
 */
export type IntrinsicName = "disagreement" | "prediction-error" | "cai" | "rair";
export const INTRINSIC_NAMES: readonly IntrinsicName[] = ["disagreement", "prediction-error", "cai", "rair"];

/** Transitions, row-major: states and next states [rows x layout.size], actions [rows x actionDim]. */
export interface TransitionBatch {
  readonly rows: number;
  readonly states: Float32Array;
  readonly actions: Float32Array;
  /** The observed next states; required by signals whose `needsNext` is true. */
  readonly next?: Float32Array;
}

export interface IntrinsicSignal {
  readonly name: IntrinsicName;
  /** True when `compute` needs `batch.next` (prediction error). */
  readonly needsNext: boolean;
  /** Writes the signal of every row of `batch` into `out[0..rows)`. Synchronous; allocates only on a larger batch than before. */
  compute(batch: TransitionBatch, out: Float64Array): void;
}

/** A batch an intrinsic signal cannot use (missing next states, wrong sizes): one line, says what to pass. */
export class IntrinsicInputError extends RangeError {
  override name = "IntrinsicInputError";
}

export function checkBatch(signal: IntrinsicSignal, batch: TransitionBatch, stateDim: number, actionDim: number, out: Float64Array): void {
  if (batch.states.length < batch.rows * stateDim) throw new IntrinsicInputError(`${signal.name}: states hold ${batch.states.length} values, ${batch.rows} x ${stateDim} needed`);
  if (actionDim > 0 && batch.actions.length < batch.rows * actionDim) throw new IntrinsicInputError(`${signal.name}: actions hold ${batch.actions.length} values, ${batch.rows} x ${actionDim} needed`);
  if (signal.needsNext && (!batch.next || batch.next.length < batch.rows * stateDim)) throw new IntrinsicInputError(`${signal.name} needs the observed next states of the batch`);
  if (out.length < batch.rows) throw new IntrinsicInputError(`${signal.name}: output has room for ${out.length} rows, the batch has ${batch.rows}`);
}

/**
 * The per-entry scale a signal divides state differences by: a Float64Array is kept by reference
 * (a model's target std, refitted as it learns), other array-likes are copied, none means ones.
 */
export function stateScale(signal: string, stateSize: number, scale: ArrayLike<number> | undefined): Float64Array {
  const out = scale instanceof Float64Array ? scale : scale ? Float64Array.from(scale) : new Float64Array(stateSize).fill(1);
  if (out.length !== stateSize) throw new RangeError(`${signal} scale has ${out.length} entries, the state has ${stateSize}`);
  return out;
}
