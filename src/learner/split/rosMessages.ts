/**
 * The actor-learner messages as std_msgs/Float64MultiArray, for /transitions and /policy over
 * ROS 2 (or any transport): the same transition rows as in-process (messages.ts), and the
 * policy snapshot as one flat vector.
 *
 * Transition rows: 2-D, dim[0] label "transition" (rows), dim[1] label
 * "row:observation=O,action=A" (transitionRowSize(O, A) columns). Each row carries its stream.
 *
 * Policy: 1-D, dim[0] label "policy_snapshot_v1"; data = version, O, A, H (hidden layers),
 * H hidden sizes, stdMin, stdMax, normalizerClip (NaN: none), steps (NaN: unknown), O normalizer
 * means, O normalizer stds, then per layer (torso, mean head, std head) its kernel ([input,
 * output] row-major) and its bias.
 */
import type { Float64MultiArrayMsg } from "../../transport/messages.js";
import type { PolicySnapshot } from "../inference/MlpPolicy.js";
import { transitionRowSize } from "./messages.js";

export const TRANSITION_ROWS_LABEL = "transition";
export const POLICY_LABEL = "policy_snapshot_v1";

/** A transition block (rows as in messages.ts) as a /transitions message. The data is copied. */
export function transitionRowsMessage(count: number, observationSize: number, actionSize: number, data: Float64Array): Float64MultiArrayMsg {
  const cols = transitionRowSize(observationSize, actionSize);
  if (data.length < count * cols) throw new RangeError(`transition block: ${count} rows of ${cols} need ${count * cols} values, got ${data.length}`);
  return {
    layout: {
      dim: [
        { label: TRANSITION_ROWS_LABEL, size: count, stride: count * cols },
        { label: `row:observation=${observationSize},action=${actionSize}`, size: cols, stride: cols },
      ],
      data_offset: 0,
    },
    data: data.slice(0, count * cols),
  };
}

/** Reads a transition-rows message; undefined when the message is not one (e.g. the per-muscle /transitions matrix). */
export function readTransitionRows(msg: Float64MultiArrayMsg): { count: number; observationSize: number; actionSize: number; data: Float64Array } | undefined {
  const dim = msg.layout.dim;
  if (dim.length !== 2 || dim[0].label !== TRANSITION_ROWS_LABEL) return undefined;
  const m = /^row:observation=(\d+),action=(\d+)$/.exec(dim[1].label);
  if (!m) return undefined;
  const O = Number(m[1]);
  const A = Number(m[2]);
  const cols = transitionRowSize(O, A);
  const count = dim[0].size;
  if (dim[1].size !== cols || msg.data.length - (msg.layout.data_offset ?? 0) < count * cols) return undefined;
  const start = msg.layout.data_offset ?? 0;
  return { count, observationSize: O, actionSize: A, data: Float64Array.from(msg.data.subarray(start, start + count * cols)) };
}

/** A policy snapshot as a /policy message. */
export function policyMessage(s: PolicySnapshot): Float64MultiArrayMsg {
  const H = s.hiddenSizes.length;
  let n = 4 + H + 4 + 2 * s.observationSize;
  for (let l = 0; l < s.kernels.length; l++) n += s.kernels[l].length + s.biases[l].length;
  const data = new Float64Array(n);
  let i = 0;
  const put = (v: number): void => void (data[i++] = v);
  const putAll = (a: ArrayLike<number>): void => {
    for (let k = 0; k < a.length; k++) data[i++] = a[k];
  };
  put(s.version);
  put(s.observationSize);
  put(s.actionSize);
  put(H);
  putAll(s.hiddenSizes);
  put(s.stdMin);
  put(s.stdMax);
  put(s.normalizerClip ?? NaN);
  put(s.steps ?? NaN);
  putAll(s.normalizerMean);
  putAll(s.normalizerStd);
  for (let l = 0; l < s.kernels.length; l++) {
    putAll(s.kernels[l]);
    putAll(s.biases[l]);
  }
  return { layout: { dim: [{ label: POLICY_LABEL, size: n, stride: n }], data_offset: 0 }, data };
}

/** Reads a /policy message back into a snapshot; throws RangeError on a malformed message. */
export function readPolicyMessage(msg: Float64MultiArrayMsg): PolicySnapshot {
  const dim = msg.layout.dim;
  if (dim.length !== 1 || dim[0].label !== POLICY_LABEL) throw new RangeError(`a policy message is 1-D, labelled '${POLICY_LABEL}'`);
  const d = msg.data.subarray(msg.layout.data_offset ?? 0);
  let i = 0;
  const take = (): number => {
    if (i >= d.length) throw new RangeError("policy message too short");
    return d[i++];
  };
  const takeN = (k: number): Float64Array => {
    if (i + k > d.length) throw new RangeError("policy message too short");
    const out = Float64Array.from(d.subarray(i, i + k));
    i += k;
    return out;
  };
  const version = take();
  const O = take();
  const A = take();
  const H = take();
  if (![O, A, H].every((v) => Number.isInteger(v) && v >= 0)) throw new RangeError("policy message: sizes must be non-negative integers");
  const hiddenSizes = Array.from(takeN(H));
  const stdMin = take();
  const stdMax = take();
  const clip = take();
  const steps = take();
  const normalizerMean = takeN(O);
  const normalizerStd = takeN(O);
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  let input = O;
  for (const h of hiddenSizes) {
    kernels.push(Float32Array.from(takeN(input * h)));
    biases.push(Float32Array.from(takeN(h)));
    input = h;
  }
  for (let head = 0; head < 2; head++) {
    kernels.push(Float32Array.from(takeN(input * A)));
    biases.push(Float32Array.from(takeN(A)));
  }
  if (i !== d.length) throw new RangeError(`policy message has ${d.length - i} values too many`);
  return { version, observationSize: O, actionSize: A, hiddenSizes, kernels, biases, normalizerMean, normalizerStd, normalizerClip: Number.isNaN(clip) ? undefined : clip, stdMin, stdMax, steps: Number.isNaN(steps) ? undefined : steps };
}
