/**
 * A probabilistic ensemble dynamics model (PETS, Chua et al. 2018; as in mbrl-lib's GaussianMLP):
 * E members, each an MLP with SiLU hidden layers and a mean and a log-variance head over the state
 * delta; inputs [state, action] and targets (s' − s) z-scored; log-variances soft-bounded to
 * [minLogVar, maxLogVar] (lv ← max − softplus(max − lv); lv ← min + softplus(lv − min)).
 *
 * Losses: Gaussian NLL, β-NLL (Seitzer et al. 2022: each term weighted by stopgrad(σ^{2β}), β 0.5)
 * and MSE (the mean head only, as CEE-US's deterministic members).
 *
 * Deviations from the references, on purpose:
 * - The log-variance bounds are fixed (mbrl-lib learns them, with a 0.01 penalty on their sum).
 * - Targets are z-scored as well as inputs (CEE-US does; mbrl-lib does not): state parts differ by
 *   orders of magnitude on a muscle arm (forces in N, angles in rad), and the losses are then
 *   comparable across parts.
 * - An MSE model reports a fixed per-dimension variance: the mean squared residual of its own
 *   training data (`calibrateFixedVariance`), so NLL and calibration can be compared at all.
 * - Members are five separate 2-D layer stacks, not one batched 3-D product: TensorFlow.js's wasm
 *   backend runs 3-D batched matMul far off its fast path (measured by `npm run bench`, both ways).
 *
 * Synchronous once built; `predict` reads results outside `tf.tidy` (reading inside walks every
 * element) and reuses its output arrays.
 *
 * Two forward paths, equal to float32 rounding (tested): training and `predictNormalized` run the
 * differentiable one (`#forward`: tendon's matMul and SiLU with their hand-written gradients, the
 * log-variance bounds as tensor ops); `predict` / `predictRows` run an inference one (`#infer`:
 * one fused matMul + bias per layer, SiLU as sigmoid and product, no gradient wrappers, no
 * `tf.tidy`, the head read once per member and its log-variance bounded in the loop that
 * denormalizes it). `npm run bench -- --only models` times both side by side.
 */
import { UserError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { createDense, matMul, uniqueScope, type DenseLayer } from "../learner/models/Dense.js";
import { Adam, type AdamState } from "../learner/optimizers/Adam.js";
import { tf } from "../learner/tf/backend.js";
import type { DynamicsModel, EnsemblePrediction, StateLayout } from "./types.js";
import { ZScore, type ZScoreState } from "./ZScore.js";

export type EnsembleLoss = "beta-nll" | "nll" | "mse";
export const ENSEMBLE_LOSSES: readonly EnsembleLoss[] = ["beta-nll", "nll", "mse"];

export interface EnsembleConfig {
  readonly members: number;
  readonly hidden: readonly number[];
  readonly loss: EnsembleLoss;
  /** β of β-NLL (0: NLL, 1: the mean gets the MSE gradient). */
  readonly beta: number;
  readonly minLogVar: number;
  readonly maxLogVar: number;
  readonly learningRate: number;
  readonly weightDecay: number;
}

export const ENSEMBLE_DEFAULTS: EnsembleConfig = {
  members: 5,
  hidden: [256, 256, 256],
  loss: "beta-nll",
  beta: 0.5,
  minLogVar: -10,
  maxLogVar: 0.5,
  learningRate: 1e-3,
  weightDecay: 5e-5,
};

/** Everything needed to rebuild a trained model: configuration, normalizers and weights. */
export interface EnsembleState {
  readonly config: EnsembleConfig;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly input: ZScoreState;
  readonly target: ZScoreState;
  /** Fixed per-dimension log-variance (normalized units) of an MSE model. */
  readonly fixedLogVar: readonly number[];
  /** Per member, per layer: kernel then bias, row-major. */
  readonly weights: readonly (readonly Float32Array[])[];
  readonly version: number;
}

/** A model state that does not fit the model it is loaded into: the user's file is wrong. */
export class ModelShapeError extends UserError {
  override name = "ModelShapeError";
}

/** SiLU (x·σ(x)) with its gradient written out: one fused backward instead of four ops. */
const silu = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const s = tf.sigmoid(x);
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ss] = saved;
      // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))
      return [tf.mul(dy, tf.mul(ss, tf.add(1, tf.mul(xs, tf.sub(1, ss)))))];
    },
  };
}) as never) as (x: tf.Tensor2D) => tf.Tensor2D;

/** log(1 + e^x), without overflow for large x. */
function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

/** Identity forward, zero gradient: the stop-gradient of β-NLL's weight. */
const stopGradient = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x] = args as [tf.Tensor];
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)] };
}) as never) as (x: tf.Tensor) => tf.Tensor;

export class ProbabilisticEnsemble implements DynamicsModel {
  readonly layout: StateLayout;
  readonly actionDim: number;
  readonly config: EnsembleConfig;
  readonly inputNorm: ZScore;
  readonly targetNorm: ZScore;
  /** Incremented by every training step and every load: consumers swap weights on a change. */
  version = 0;
  readonly #layers: DenseLayer[][];
  readonly #adam: Adam;
  readonly #fixedLogVar: Float32Array;
  #out: { mean: Float32Array; logVar: Float32Array; rows: number } = { mean: new Float32Array(0), logVar: new Float32Array(0), rows: 0 };
  #input = new Float32Array(0);
  /** 2 log σ of each target dimension, for `predictRows` (no allocation per call). */
  readonly #logVarShift: Float64Array;

  constructor(layout: StateLayout, actionDim: number, config: Partial<EnsembleConfig> = {}, seed = 0) {
    this.layout = layout;
    this.actionDim = actionDim;
    this.config = { ...ENSEMBLE_DEFAULTS, ...config };
    const c = this.config;
    if (!Number.isInteger(c.members) || c.members < 1) throw new RangeError(`ensemble members must be a positive integer, got ${c.members}`);
    if (!ENSEMBLE_LOSSES.includes(c.loss)) throw new RangeError(`unknown loss '${c.loss}': use ${ENSEMBLE_LOSSES.join(", ")}`);
    const d = layout.size;
    this.inputNorm = new ZScore(d + actionDim);
    this.targetNorm = new ZScore(d);
    this.#fixedLogVar = new Float32Array(d);
    this.#logVarShift = new Float64Array(d);
    const rng = new Rng(seed);
    const scope = uniqueScope("ensemble");
    this.#layers = [];
    for (let e = 0; e < c.members; e++) {
      const layers: DenseLayer[] = [];
      let size = d + actionDim;
      c.hidden.forEach((h, i) => {
        layers.push(createDense(scope, `m${e}/${i}`, size, h, rng));
        size = h;
      });
      layers.push(createDense(scope, `m${e}/head`, size, 2 * d, rng));
      this.#layers.push(layers);
    }
    this.#adam = new Adam(this.#variables(), { learningRate: c.learningRate, weightDecay: c.weightDecay });
  }

  get members(): number {
    return this.config.members;
  }

  get stateDim(): number {
    return this.layout.size;
  }

  #variables(): tf.Variable[] {
    return this.#layers.flat().flatMap((l) => [l.kernel, l.bias]);
  }

  /** Raw network output of member `e` for normalized inputs: [rows x 2d] (mean, bounded log-variance). */
  #forward(e: number, x: tf.Tensor2D): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const layers = this.#layers[e];
    let h = x;
    for (let i = 0; i < layers.length - 1; i++) h = silu(tf.add(matMul(h, layers[i].kernel as tf.Tensor2D), layers[i].bias) as tf.Tensor2D);
    const head = layers[layers.length - 1];
    const out = tf.add(matMul(h, head.kernel as tf.Tensor2D), head.bias) as tf.Tensor2D;
    const d = this.stateDim;
    const [mean, raw] = tf.split(out, [d, d], 1) as [tf.Tensor2D, tf.Tensor2D];
    const { minLogVar: lo, maxLogVar: hi } = this.config;
    let lv = tf.sub(hi, tf.softplus(tf.sub(hi, raw)));
    lv = tf.add(lo, tf.softplus(tf.sub(lv, lo)));
    return { mean, logVar: lv as tf.Tensor2D };
  }

  /**
   * Raw head output of member `e` ([rows x 2d]: mean, then the unbounded log-variance) for
   * normalized inputs, without gradients: see the class comment. The caller disposes the result;
   * every intermediate is disposed here.
   */
  #infer(e: number, x: tf.Tensor2D): tf.Tensor2D {
    const layers = this.#layers[e];
    let h = x;
    for (let i = 0; i < layers.length - 1; i++) {
      const z = tf.fused.matMul({ a: h, b: layers[i].kernel as tf.Tensor2D, bias: layers[i].bias });
      const s = tf.sigmoid(z);
      if (h !== x) h.dispose();
      h = tf.mul(z, s) as tf.Tensor2D;
      z.dispose();
      s.dispose();
    }
    const head = layers[layers.length - 1];
    const out = tf.fused.matMul({ a: h, b: head.kernel as tf.Tensor2D, bias: head.bias }) as tf.Tensor2D;
    if (h !== x) h.dispose();
    return out;
  }

  /** The loss of one member on normalized inputs and targets (a scalar tensor). */
  #memberLoss(e: number, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    const { mean, logVar } = this.#forward(e, x);
    const err2 = tf.square(tf.sub(y, mean));
    if (this.config.loss === "mse") return tf.mean(err2) as tf.Scalar;
    // ½[(y − μ)²/σ² + log σ²], per entry.
    const nll = tf.mul(0.5, tf.add(tf.mul(err2, tf.exp(tf.neg(logVar))), logVar));
    if (this.config.loss === "nll" || this.config.beta === 0) return tf.mean(nll) as tf.Scalar;
    const weight = stopGradient(tf.exp(tf.mul(logVar, this.config.beta)));
    return tf.mean(tf.mul(weight, nll)) as tf.Scalar;
  }

  /**
   * One Adam step on every member at once. `x[e]` and `y[e]` are member e's batch, already
   * normalized (inputs z-scored, targets the z-scored deltas), [batch x in] and [batch x d].
   * Returns the mean member loss.
   */
  trainStep(x: readonly Float32Array[], y: readonly Float32Array[], batch: number): number {
    const E = this.members;
    const inDim = this.stateDim + this.actionDim;
    const xs = x.map((a) => tf.tensor2d(a, [batch, inDim]));
    const ys = y.map((a) => tf.tensor2d(a, [batch, this.stateDim]));
    const vars = this.#variables();
    const { value, grads } = tf.variableGrads(() => {
      let total: tf.Scalar = this.#memberLoss(0, xs[0], ys[0]);
      for (let e = 1; e < E; e++) total = tf.add(total, this.#memberLoss(e, xs[e], ys[e])) as tf.Scalar;
      return total;
    }, vars);
    const g = vars.map((v) => grads[v.name]);
    this.#adam.apply(g);
    const loss = value.dataSync()[0] / E;
    tf.dispose([value, ...g, ...xs, ...ys]);
    this.version++;
    return loss;
  }

  /**
   * Normalized-space predictions of every member for already normalized inputs [rows x in]:
   * means and log-variances of the z-scored delta, [E x rows x d] each. For training and evaluation.
   */
  predictNormalized(x: Float32Array, rows: number): { mean: Float32Array; logVar: Float32Array } {
    const d = this.stateDim;
    const E = this.members;
    const mean = new Float32Array(E * rows * d);
    const logVar = new Float32Array(E * rows * d);
    const input = tf.tensor2d(x, [rows, this.stateDim + this.actionDim]);
    const outs = tf.tidy(() => Array.from({ length: E }, (_, e) => this.#forward(e, input)));
    for (let e = 0; e < E; e++) {
      mean.set(outs[e].mean.dataSync() as Float32Array, e * rows * d);
      if (this.config.loss === "mse") {
        for (let r = 0; r < rows; r++) logVar.set(this.#fixedLogVar, (e * rows + r) * d);
      } else {
        logVar.set(outs[e].logVar.dataSync() as Float32Array, e * rows * d);
      }
    }
    tf.dispose([input, ...outs.flatMap((o) => [o.mean, o.logVar])]);
    return { mean, logVar };
  }

  /** Normalizes [state, action] rows into the model's input buffer. */
  #normalizeInputs(states: Float32Array | Float64Array, actions: Float32Array | Float64Array, rows: number): Float32Array {
    const d = this.stateDim;
    const a = this.actionDim;
    const w = d + a;
    if (this.#input.length < rows * w) this.#input = new Float32Array(rows * w);
    const x = this.#input;
    const mu = this.inputNorm.mean;
    const inv = this.inputNorm.invStd;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < d; k++) x[r * w + k] = (states[r * d + k] - mu[k]) * inv[k];
      for (let k = 0; k < a; k++) x[r * w + d + k] = (actions[r * a + k] - mu[d + k]) * inv[d + k];
    }
    return rows * w === x.length ? x : x.subarray(0, rows * w);
  }

  /** Raw-unit next-state means and log-variances of every member ([E x rows x d]); see DynamicsModel. */
  predict(states: Float32Array, actions: Float32Array, rows: number): EnsemblePrediction {
    return this.predictRows(states, actions, rows, undefined);
  }

  /**
   * Like `predict`, but when `rowsPerMember` is given the rows are E blocks of that many rows and
   * member e predicts only block e (trajectory sampling: a particle is carried by one member):
   * the result is then [E·rowsPerMember x d], one prediction per row.
   */
  predictRows(states: Float32Array | Float64Array, actions: Float32Array | Float64Array, rows: number, rowsPerMember: number | undefined): EnsemblePrediction {
    const d = this.stateDim;
    const E = this.members;
    const x = this.#normalizeInputs(states, actions, rows);
    const size = (rowsPerMember === undefined ? E * rows : rows) * d;
    if (this.#out.mean.length !== size) this.#out = { mean: new Float32Array(size), logVar: new Float32Array(size), rows };
    const { mean, logVar } = this.#out;
    const inDim = d + this.actionDim;
    const block = rowsPerMember ?? rows;
    if (rowsPerMember !== undefined && rowsPerMember * E !== rows) throw new RangeError(`predictRows: ${rows} rows are not ${E} blocks of ${rowsPerMember}`);
    const input = rowsPerMember === undefined ? tf.tensor2d(x, [rows, inDim]) : undefined;
    const tMu = this.targetNorm.mean;
    const tStd = this.targetNorm.std;
    const mse = this.config.loss === "mse";
    const { minLogVar: lo, maxLogVar: hi } = this.config;
    const w = 2 * d;
    const logVarShift = this.#logVarShift;
    for (let k = 0; k < d; k++) logVarShift[k] = 2 * Math.log(tStd[k]);
    for (let e = 0; e < E; e++) {
      const own = input ?? tf.tensor2d(x.subarray(e * block * inDim, (e + 1) * block * inDim), [block, inDim]);
      const head = this.#infer(e, own);
      const out = head.dataSync() as Float32Array;
      head.dispose();
      if (own !== input) own.dispose();
      const base = e * block * d;
      for (let r = 0; r < block; r++) {
        const srcRow = rowsPerMember === undefined ? r : e * block + r;
        for (let k = 0; k < d; k++) {
          const i = r * d + k;
          mean[base + i] = states[srcRow * d + k] + tMu[k] + tStd[k] * out[r * w + k];
          // The soft bounds of `#forward`: lv <- hi - softplus(hi - lv), then lo + softplus(lv - lo).
          const lv = mse ? this.#fixedLogVar[k] : lo + softplus(hi - softplus(hi - out[r * w + d + k]) - lo);
          logVar[base + i] = lv + logVarShift[k];
        }
      }
    }
    input?.dispose();
    return { mean, logVar };
  }

  /** Sets an MSE model's fixed log-variance from normalized residuals [n x d] of its members' means. */
  calibrateFixedVariance(meanSquaredResidual: Float32Array | Float64Array): void {
    for (let k = 0; k < this.stateDim; k++) this.#fixedLogVar[k] = Math.log(Math.max(1e-8, meanSquaredResidual[k]));
  }

  /** Weights of every member (copies), for checkpoints and for shipping to another process. */
  weights(): Float32Array[][] {
    return this.#layers.map((layers) => layers.flatMap((l) => [l.kernel.dataSync() as Float32Array, l.bias.dataSync() as Float32Array].map((a) => a.slice())));
  }

  state(): EnsembleState {
    return {
      config: this.config,
      stateDim: this.stateDim,
      actionDim: this.actionDim,
      input: this.inputNorm.state(),
      target: this.targetNorm.state(),
      fixedLogVar: Array.from(this.#fixedLogVar),
      weights: this.weights(),
      version: this.version,
    };
  }

  /** Loads a state of the same shape; throws `ModelShapeError` (and changes nothing) when it does not fit. */
  load(state: EnsembleState): void {
    const want = (what: string, got: number, expected: number): void => {
      if (got !== expected) throw new ModelShapeError(`model state does not fit: ${what} ${got}, this model has ${expected}`);
    };
    want("state size", state.stateDim, this.stateDim);
    want("action size", state.actionDim, this.actionDim);
    want("members", state.weights.length, this.members);
    state.weights.forEach((member, e) => {
      const layers = this.#layers[e];
      want(`member ${e} arrays`, member.length, 2 * layers.length);
      layers.forEach((l, i) => {
        want(`member ${e} layer ${i} kernel entries`, member[2 * i].length, l.inputSize * l.outputSize);
        want(`member ${e} layer ${i} bias entries`, member[2 * i + 1].length, l.outputSize);
      });
    });
    this.inputNorm.load(state.input);
    this.targetNorm.load(state.target);
    this.#fixedLogVar.set(state.fixedLogVar);
    tf.tidy(() => {
      state.weights.forEach((member, e) =>
        this.#layers[e].forEach((l, i) => {
          l.kernel.assign(tf.tensor2d(member[2 * i], [l.inputSize, l.outputSize]));
          l.bias.assign(tf.tensor1d(member[2 * i + 1]));
        }),
      );
    });
    this.version = state.version + 1;
  }

  optimizerState(): AdamState {
    return this.#adam.state();
  }

  loadOptimizerState(s: AdamState): void {
    this.#adam.load(s);
  }

  dispose(): void {
    tf.dispose(this.#variables());
    this.#adam.dispose();
  }
}
