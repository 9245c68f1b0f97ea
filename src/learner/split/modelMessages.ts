/**
 * A world model's weights as one std_msgs/Float64MultiArray, for /learner/model (LEARNER_TOPICS)
 * over ROS 2 or any transport: what a ModelHolder or a planner needs to rebuild the ensemble
 * (configuration, normalizers, weights) and its version.
 *
 * 1-D, dim[0] label "world_model_v1"; data = version, steps (NaN: unknown), stateDim d,
 * actionDim a, members E, H (hidden layers), H hidden sizes, loss (0 β-NLL, 1 NLL, 2 MSE), β,
 * minLogVar, maxLogVar, learning rate, weight decay, the input normalizer's d + a means and
 * d + a stds, the target normalizer's d means and d stds, d fixed log-variances, then per member
 * per layer (hidden layers, then the head of 2d outputs) its kernel ([input, output] row-major)
 * and its bias. Float32 weights travel exactly as float64.
 */
import type { Float64MultiArrayMsg } from "../../transport/messages.js";
import { ENSEMBLE_LOSSES, type EnsembleState } from "../../models/ProbabilisticEnsemble.js";

export const MODEL_LABEL = "world_model_v1";

/** A /learner/model message that is not one of this format or this shape; says what is wrong in one line. */
export class ModelMessageError extends RangeError {
  override name = "ModelMessageError";
}

/** A model state as a /learner/model message (`steps`: the transitions it was trained on). */
export function modelMessage(s: EnsembleState, steps?: number): Float64MultiArrayMsg {
  const c = s.config;
  const d = s.stateDim;
  const a = s.actionDim;
  let n = 6 + c.hidden.length + 6 + 2 * (d + a) + 3 * d;
  for (const member of s.weights) for (const w of member) n += w.length;
  const data = new Float64Array(n);
  let i = 0;
  const put = (v: number): void => void (data[i++] = v);
  const putAll = (v: ArrayLike<number>): void => {
    for (let k = 0; k < v.length; k++) data[i++] = v[k];
  };
  put(s.version);
  put(steps ?? NaN);
  put(d);
  put(a);
  put(s.weights.length);
  put(c.hidden.length);
  putAll(c.hidden);
  put(ENSEMBLE_LOSSES.indexOf(c.loss));
  put(c.beta);
  put(c.minLogVar);
  put(c.maxLogVar);
  put(c.learningRate);
  put(c.weightDecay);
  putAll(s.input.mean);
  putAll(s.input.std);
  putAll(s.target.mean);
  putAll(s.target.std);
  putAll(s.fixedLogVar);
  for (const member of s.weights) for (const w of member) putAll(w);
  return { layout: { dim: [{ label: MODEL_LABEL, size: n, stride: n }], data_offset: 0 }, data };
}

/** Reads a /learner/model message back; throws ModelMessageError (one line) when it is not one or its sizes do not add up. */
export function readModelMessage(msg: Float64MultiArrayMsg): { state: EnsembleState; steps: number | undefined } {
  const dim = msg.layout.dim;
  if (dim.length !== 1 || dim[0].label !== MODEL_LABEL) throw new ModelMessageError(`a world-model message is 1-D, labelled '${MODEL_LABEL}' (got ${dim.length}-D${dim[0] ? `, '${dim[0].label}'` : ""})`);
  const v = msg.data.subarray(msg.layout.data_offset ?? 0);
  let i = 0;
  const take = (): number => {
    if (i >= v.length) throw new ModelMessageError(`world-model message too short: ${v.length} values`);
    return v[i++];
  };
  const takeN = (k: number): Float64Array => {
    if (i + k > v.length) throw new ModelMessageError(`world-model message too short: ${v.length} values, at least ${i + k} needed`);
    const out = Float64Array.from(v.subarray(i, i + k));
    i += k;
    return out;
  };
  const size = (what: string, x: number, max = 1 << 20): number => {
    if (!Number.isInteger(x) || x < 0 || x > max) throw new ModelMessageError(`world-model message: ${what} must be a non-negative integer, got ${x}`);
    return x;
  };
  const version = take();
  const steps = take();
  const d = size("state size", take());
  const a = size("action size", take());
  const E = size("members", take(), 1024);
  const H = size("hidden layers", take(), 64);
  if (d < 1 || E < 1) throw new ModelMessageError(`world-model message: state size ${d} and members ${E} must be at least 1`);
  const hidden = Array.from(takeN(H), (h) => size("hidden size", h));
  const lossCode = take();
  const loss = ENSEMBLE_LOSSES[lossCode];
  if (!loss) throw new ModelMessageError(`world-model message: loss code ${lossCode} is not one of 0..${ENSEMBLE_LOSSES.length - 1}`);
  const [beta, minLogVar, maxLogVar, learningRate, weightDecay] = [take(), take(), take(), take(), take()];
  const input = { mean: Array.from(takeN(d + a)), std: Array.from(takeN(d + a)) };
  const target = { mean: Array.from(takeN(d)), std: Array.from(takeN(d)) };
  const fixedLogVar = Array.from(takeN(d));
  const weights: Float32Array[][] = [];
  for (let e = 0; e < E; e++) {
    const member: Float32Array[] = [];
    let inSize = d + a;
    for (const out of [...hidden, 2 * d]) {
      member.push(Float32Array.from(takeN(inSize * out)));
      member.push(Float32Array.from(takeN(out)));
      inSize = out;
    }
    weights.push(member);
  }
  if (i !== v.length) throw new ModelMessageError(`world-model message has ${v.length - i} values too many for ${E} members of ${[d + a, ...hidden, 2 * d].join(" x ")}`);
  return {
    state: { config: { members: E, hidden, loss, beta, minLogVar, maxLogVar, learningRate, weightDecay }, stateDim: d, actionDim: a, input, target, fixedLogVar, weights, version },
    steps: Number.isNaN(steps) ? undefined : steps,
  };
}

/** Why `state` cannot be loaded into a model shaped like `like` (undefined when it can): for a one-line warning. */
export function modelMisfit(state: EnsembleState, like: EnsembleState): string | undefined {
  if (state.stateDim !== like.stateDim) return `state size ${state.stateDim}, the model's ${like.stateDim}`;
  if (state.actionDim !== like.actionDim) return `action size ${state.actionDim}, the model's ${like.actionDim}`;
  if (state.weights.length !== like.weights.length) return `${state.weights.length} members, the model's ${like.weights.length}`;
  const shape = (s: EnsembleState): string => s.weights[0].map((w) => w.length).join(",");
  if (shape(state) !== shape(like)) return `layers ${[state.stateDim + state.actionDim, ...state.config.hidden].join(" x ")}, the model's ${[like.stateDim + like.actionDim, ...like.config.hidden].join(" x ")}`;
  return undefined;
}
