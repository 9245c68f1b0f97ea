/**
 * Training a `ProbabilisticEnsemble` on transitions: a held-out split, normalizers fitted on the
 * training part, one bootstrap per member (indices drawn with replacement, as PETS/mbrl-lib), Adam
 * on mini-batches, early stopping on the held-out normalized MSE (mbrl-lib's validation score) with
 * the best weights restored. Synchronous and self-contained, so any worker (the learner's, a
 * command's) can drive it; `trainSteps` serves online updates (a few steps on a schedule).
 *
 * Deviations: CEE-US gives each member its own shuffle of the whole buffer and keeps no held-out
 * set; here bootstrap is the default and `bootstrap: false` gives CEE-US's shuffles.
 */
import { UserError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { ProbabilisticEnsemble } from "./ProbabilisticEnsemble.js";

/** Transitions (s, a, s'), row-major. `segment[i]` labels the trajectory of row i (rows of one segment are consecutive steps). */
export interface TransitionSet {
  readonly rows: number;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly states: Float32Array;
  readonly actions: Float32Array;
  readonly next: Float32Array;
  readonly segment?: Int32Array;
}

/** Transitions that cannot be trained on (NaN, wrong sizes): the data's fault, said in one line. */
export class TransitionDataError extends UserError {
  override name = "TransitionDataError";
}

/** Throws `TransitionDataError` at the first non-finite value or inconsistent size. */
export function validateTransitions(set: TransitionSet): void {
  const { rows, stateDim: d, actionDim: a } = set;
  if (rows < 1) throw new TransitionDataError("no transitions: the data holds no complete (state, action, next state) step");
  if (set.states.length !== rows * d || set.next.length !== rows * d || set.actions.length !== rows * a) {
    throw new TransitionDataError(`transition arrays do not match ${rows} rows of state ${d} / action ${a}`);
  }
  for (const [name, arr, w] of [["state", set.states, d], ["action", set.actions, a], ["next state", set.next, d]] as const) {
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i])) throw new TransitionDataError(`transition ${Math.floor(i / w)} has a non-finite ${name} entry ${i % w} (${arr[i]}): drop or repair that part of the data`);
    }
  }
}

/** Picks `index` rows of a set into a new set. */
export function subset(set: TransitionSet, index: Int32Array): TransitionSet {
  const { stateDim: d, actionDim: a } = set;
  const n = index.length;
  const states = new Float32Array(n * d);
  const next = new Float32Array(n * d);
  const actions = new Float32Array(n * a);
  const segment = set.segment ? new Int32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const r = index[i];
    states.set(set.states.subarray(r * d, (r + 1) * d), i * d);
    next.set(set.next.subarray(r * d, (r + 1) * d), i * d);
    actions.set(set.actions.subarray(r * a, (r + 1) * a), i * a);
    if (segment) segment[i] = set.segment![r];
  }
  return { rows: n, stateDim: d, actionDim: a, states, actions, next, segment };
}

/** Concatenates sets of the same sizes (segments kept apart). */
export function concatSets(sets: readonly TransitionSet[]): TransitionSet {
  const d = sets[0].stateDim;
  const a = sets[0].actionDim;
  const rows = sets.reduce((s, x) => s + x.rows, 0);
  const states = new Float32Array(rows * d);
  const next = new Float32Array(rows * d);
  const actions = new Float32Array(rows * a);
  const segment = new Int32Array(rows);
  let o = 0;
  let segBase = 0;
  for (const s of sets) {
    states.set(s.states, o * d);
    next.set(s.next, o * d);
    actions.set(s.actions, o * a);
    let maxSeg = 0;
    for (let i = 0; i < s.rows; i++) {
      const g = s.segment ? s.segment[i] : 0;
      segment[o + i] = segBase + g;
      maxSeg = Math.max(maxSeg, g);
    }
    segBase += maxSeg + 1;
    o += s.rows;
  }
  return { rows, stateDim: d, actionDim: a, states, actions, next, segment };
}

export interface FitOptions {
  /** Fraction of rows held out for early stopping and evaluation (mbrl-lib: 0.1..0.2). Default 0.1. */
  readonly holdoutFraction?: number;
  /** Hold out whole segments (trajectories) instead of random rows. Default true when segments are given. */
  readonly holdoutBySegment?: boolean;
  readonly batchSize?: number;
  /** Upper bound on Adam steps. Default 2000. */
  readonly maxSteps?: number;
  /** Steps between held-out evaluations. Default 100. */
  readonly evalEvery?: number;
  /** Evaluations without improvement before stopping (mbrl-lib: 12..25 epochs). Default 8. */
  readonly patience?: number;
  /** Each member its own bootstrap (default) or its own shuffle (CEE-US). */
  readonly bootstrap?: boolean;
  readonly seed?: number;
  /** Called after every evaluation. */
  readonly onProgress?: (p: FitProgress) => void;
}

export interface FitProgress {
  readonly step: number;
  readonly maxSteps: number;
  readonly trainLoss: number;
  readonly holdoutMse: number;
  readonly holdoutNll: number;
  readonly wallSec: number;
}

export interface FitResult {
  readonly curve: FitProgress[];
  readonly steps: number;
  readonly bestStep: number;
  readonly trainRows: number;
  readonly holdoutRows: number;
  /** The held-out transitions (for evaluation after the fit). */
  readonly holdout: TransitionSet;
  readonly train: TransitionSet;
  readonly wallSec: number;
}

/**
 * Mini-batches for every member from its own index stream. Holds normalized copies of the data,
 * so one batch is a gather, not a normalization.
 */
export class EnsembleTrainer {
  readonly model: ProbabilisticEnsemble;
  readonly #rng: Rng;
  readonly #batch: number;
  readonly #bootstrap: boolean;
  #x = new Float32Array(0);
  #y = new Float32Array(0);
  #rows = 0;
  #order: Int32Array[] = [];
  #cursor: number[] = [];
  readonly #bx: Float32Array[];
  readonly #by: Float32Array[];

  constructor(model: ProbabilisticEnsemble, options: { batchSize?: number; bootstrap?: boolean; seed?: number } = {}) {
    this.model = model;
    this.#rng = new Rng(options.seed ?? 0);
    this.#batch = options.batchSize ?? 256;
    this.#bootstrap = options.bootstrap ?? true;
    const inDim = model.stateDim + model.actionDim;
    this.#bx = Array.from({ length: model.members }, () => new Float32Array(this.#batch * inDim));
    this.#by = Array.from({ length: model.members }, () => new Float32Array(this.#batch * model.stateDim));
  }

  get rows(): number {
    return this.#rows;
  }

  /**
   * Sets the training data. `fitNormalizers` refits the input and target normalizers on it (do so
   * when the data changed a lot; an online learner refits on a schedule and publishes the result).
   */
  setData(set: TransitionSet, fitNormalizers = true): void {
    validateTransitions(set);
    const m = this.model;
    const d = m.stateDim;
    const a = m.actionDim;
    if (set.stateDim !== d || set.actionDim !== a) {
      throw new TransitionDataError(`transitions have state ${set.stateDim} / action ${set.actionDim}, the model needs ${d} / ${a}`);
    }
    const n = set.rows;
    const inDim = d + a;
    const raw = new Float32Array(n * inDim);
    const delta = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      raw.set(set.states.subarray(i * d, (i + 1) * d), i * inDim);
      raw.set(set.actions.subarray(i * a, (i + 1) * a), i * inDim + d);
      for (let k = 0; k < d; k++) delta[i * d + k] = set.next[i * d + k] - set.states[i * d + k];
    }
    if (fitNormalizers) {
      m.inputNorm.fit(raw, n);
      m.targetNorm.fit(delta, n);
    }
    normalizeInPlace(raw, n, m.inputNorm.mean, m.inputNorm.invStd);
    normalizeInPlace(delta, n, m.targetNorm.mean, m.targetNorm.invStd);
    this.#x = raw;
    this.#y = delta;
    this.#rows = n;
    this.#order = Array.from({ length: m.members }, () => this.#drawOrder(n));
    this.#cursor = this.#order.map(() => 0);
  }

  #drawOrder(n: number): Int32Array {
    const o = new Int32Array(n);
    if (this.#bootstrap) {
      for (let i = 0; i < n; i++) o[i] = Math.floor(this.#rng.next() * n);
    } else {
      for (let i = 0; i < n; i++) o[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(this.#rng.next() * (i + 1));
        const t = o[i];
        o[i] = o[j];
        o[j] = t;
      }
    }
    return o;
  }

  /** `steps` Adam steps; returns the mean loss over them. */
  trainSteps(steps: number): number {
    if (this.#rows === 0) throw new TransitionDataError("no training data: call setData first");
    const m = this.model;
    const inDim = m.stateDim + m.actionDim;
    const d = m.stateDim;
    const B = this.#batch;
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      for (let e = 0; e < m.members; e++) {
        for (let b = 0; b < B; b++) {
          if (this.#cursor[e] >= this.#rows) {
            // A new epoch: a fresh bootstrap (or shuffle) for this member.
            this.#order[e] = this.#drawOrder(this.#rows);
            this.#cursor[e] = 0;
          }
          const r = this.#order[e][this.#cursor[e]++];
          this.#bx[e].set(this.#x.subarray(r * inDim, (r + 1) * inDim), b * inDim);
          this.#by[e].set(this.#y.subarray(r * d, (r + 1) * d), b * d);
        }
      }
      sum += m.trainStep(this.#bx, this.#by, B);
    }
    return sum / Math.max(1, steps);
  }

  /** Fixes an MSE model's variance from its training residuals (a sample of up to 4096 rows). */
  calibrateFixedVariance(): void {
    const m = this.model;
    const d = m.stateDim;
    const inDim = d + m.actionDim;
    const n = Math.min(this.#rows, 4096);
    const x = new Float32Array(n * inDim);
    const y = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const r = Math.floor((i * this.#rows) / n);
      x.set(this.#x.subarray(r * inDim, (r + 1) * inDim), i * inDim);
      y.set(this.#y.subarray(r * d, (r + 1) * d), i * d);
    }
    const p = m.predictNormalized(x, n);
    const ms = new Float64Array(d);
    for (let e = 0; e < m.members; e++) {
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < d; k++) {
          const v = p.mean[(e * n + i) * d + k] - y[i * d + k];
          ms[k] += v * v;
        }
      }
    }
    for (let k = 0; k < d; k++) ms[k] /= m.members * n;
    m.calibrateFixedVariance(ms);
  }
}

function normalizeInPlace(a: Float32Array, rows: number, mean: Float64Array, inv: Float64Array): void {
  const w = mean.length;
  for (let i = 0; i < rows; i++) for (let k = 0; k < w; k++) a[i * w + k] = (a[i * w + k] - mean[k]) * inv[k];
}

/**
 * The set with its segments cut into ten blocks of consecutive rows when it has fewer than ten
 * (one recording is one segment: whole segments could not be held out otherwise).
 */
export function blockSegments(set: TransitionSet): TransitionSet {
  if (!set.segment || new Set(set.segment).size >= 10) return set;
  const block = Math.max(1, Math.ceil(set.rows / 10));
  return { ...set, segment: Int32Array.from(set.segment, (g, i) => g * 10 + Math.floor(i / block)) };
}

/** Splits rows into training and held-out parts (whole segments when asked and available). */
export function splitHoldout(set: TransitionSet, fraction: number, bySegment: boolean, rng: Rng): { train: Int32Array; holdout: Int32Array } {
  const n = set.rows;
  const hold: number[] = [];
  const train: number[] = [];
  if (bySegment && set.segment) {
    const segment = set.segment;
    const ids = [...new Set(segment)];
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const want = Math.max(1, Math.round(ids.length * fraction));
    const held = new Set(ids.slice(0, Math.min(want, ids.length - 1)));
    for (let i = 0; i < n; i++) (held.has(segment[i]) ? hold : train).push(i);
  } else {
    for (let i = 0; i < n; i++) (rng.next() < fraction ? hold : train).push(i);
  }
  return { train: Int32Array.from(train), holdout: Int32Array.from(hold) };
}

/**
 * Fits the model: split, normalizers, bootstrap, early stopping on held-out normalized MSE with
 * the best weights restored; an MSE model then gets its fixed variance.
 */
export function fitEnsemble(model: ProbabilisticEnsemble, set: TransitionSet, options: FitOptions = {}): FitResult {
  validateTransitions(set);
  const t0 = performance.now();
  const rng = new Rng((options.seed ?? 0) + 7919);
  const fraction = options.holdoutFraction ?? 0.1;
  set = blockSegments(set);
  const split = splitHoldout(set, fraction, options.holdoutBySegment ?? set.segment !== undefined, rng);
  if (split.train.length < 2 || split.holdout.length < 1) throw new TransitionDataError(`too few transitions (${set.rows}) to hold out ${fraction * 100} %: record a longer run`);
  const train = subset(set, split.train);
  const holdout = subset(set, split.holdout);
  const trainer = new EnsembleTrainer(model, { batchSize: options.batchSize, bootstrap: options.bootstrap, seed: options.seed });
  trainer.setData(train, true);
  const maxSteps = options.maxSteps ?? 2000;
  const every = options.evalEvery ?? 100;
  const patience = options.patience ?? 8;
  const evalRows = subset(holdout, Int32Array.from({ length: Math.min(holdout.rows, 4096) }, (_, i) => Math.floor((i * holdout.rows) / Math.min(holdout.rows, 4096))));
  const curve: FitProgress[] = [];
  let best = Infinity;
  let bestStep = 0;
  let bestWeights = model.state();
  let since = 0;
  let step = 0;
  while (step < maxSteps) {
    const n = Math.min(every, maxSteps - step);
    const trainLoss = trainer.trainSteps(n);
    step += n;
    const ev = evaluateEnsemble(model, evalRows);
    const p: FitProgress = { step, maxSteps, trainLoss, holdoutMse: ev.normalizedMse, holdoutNll: ev.nll, wallSec: (performance.now() - t0) / 1000 };
    curve.push(p);
    options.onProgress?.(p);
    if (ev.normalizedMse < best - 1e-6) {
      best = ev.normalizedMse;
      bestStep = step;
      bestWeights = model.state();
      since = 0;
    } else if (++since >= patience) break;
  }
  const version = model.version;
  model.load(bestWeights);
  model.version = version + 1;
  if (model.config.loss === "mse") trainer.calibrateFixedVariance();
  return { curve, steps: step, bestStep, trainRows: train.rows, holdoutRows: holdout.rows, holdout, train, wallSec: (performance.now() - t0) / 1000 };
}

export interface EnsembleEvaluation {
  readonly rows: number;
  /** Held-out Gaussian NLL per entry (nats), of the ensemble as one Gaussian (mean of means; mean variance + variance of means), in z-scored delta units. */
  readonly nll: number;
  /** Mean squared error of the ensemble mean, z-scored delta units. */
  readonly normalizedMse: number;
  /** Fraction of held-out deltas within 1σ and 2σ of the prediction (a calibrated Gaussian: 0.683, 0.954). */
  readonly within1: number;
  readonly within2: number;
  /** RMSE of the next-state mean per state entry, raw units. */
  readonly rmse: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Evaluates one-step predictions on `set` (in chunks of 2048 rows). */
export function evaluateEnsemble(model: ProbabilisticEnsemble, set: TransitionSet): EnsembleEvaluation {
  const d = model.stateDim;
  const a = model.actionDim;
  const E = model.members;
  const inDim = d + a;
  const mu = model.inputNorm.mean;
  const inv = model.inputNorm.invStd;
  const tMu = model.targetNorm.mean;
  const tInv = model.targetNorm.invStd;
  const tStd = model.targetNorm.std;
  let nll = 0;
  let mse = 0;
  let in1 = 0;
  let in2 = 0;
  const se = new Float64Array(d);
  const chunk = 2048;
  for (let start = 0; start < set.rows; start += chunk) {
    const n = Math.min(chunk, set.rows - start);
    const x = new Float32Array(n * inDim);
    for (let i = 0; i < n; i++) {
      const r = start + i;
      for (let k = 0; k < d; k++) x[i * inDim + k] = (set.states[r * d + k] - mu[k]) * inv[k];
      for (let k = 0; k < a; k++) x[i * inDim + d + k] = (set.actions[r * a + k] - mu[d + k]) * inv[d + k];
    }
    const p = model.predictNormalized(x, n);
    for (let i = 0; i < n; i++) {
      const r = start + i;
      for (let k = 0; k < d; k++) {
        const y = (set.next[r * d + k] - set.states[r * d + k] - tMu[k]) * tInv[k];
        let m = 0;
        let v = 0;
        for (let e = 0; e < E; e++) m += p.mean[(e * n + i) * d + k];
        m /= E;
        for (let e = 0; e < E; e++) {
          const dm = p.mean[(e * n + i) * d + k] - m;
          v += Math.exp(p.logVar[(e * n + i) * d + k]) + dm * dm;
        }
        v /= E;
        const err = y - m;
        nll += 0.5 * (LOG_2PI + Math.log(v) + (err * err) / v);
        mse += err * err;
        const z = Math.abs(err) / Math.sqrt(v);
        if (z <= 1) in1++;
        if (z <= 2) in2++;
        const raw = err * tStd[k];
        se[k] += raw * raw;
      }
    }
  }
  const count = set.rows * d;
  const rmse = new Float64Array(d);
  for (let k = 0; k < d; k++) rmse[k] = Math.sqrt(se[k] / set.rows);
  return { rows: set.rows, nll: nll / count, normalizedMse: mse / count, within1: in1 / count, within2: in2 / count, rmse };
}

export interface MultiStepError {
  readonly horizon: number;
  /** Windows evaluated (start rows with `horizon` consecutive steps in one segment). */
  readonly windows: number;
  /** RMSE per state entry at the last step, raw units. */
  readonly rmse: Float64Array;
}

/**
 * Open-loop error after `horizon` steps: from every usable start row (at most `maxWindows`, evenly
 * spread) the ensemble's mean prediction (the deterministic "mean" propagation) is fed back with
 * the recorded actions, and compared with the recorded state `horizon` steps later.
 */
export function multiStepError(model: ProbabilisticEnsemble, set: TransitionSet, horizon: number, maxWindows = 512): MultiStepError {
  const d = model.stateDim;
  const a = model.actionDim;
  const E = model.members;
  const starts: number[] = [];
  for (let i = 0; i + horizon <= set.rows; i++) {
    const seg = set.segment;
    if (seg && seg[i + horizon - 1] !== seg[i]) continue;
    starts.push(i);
  }
  const pick = starts.length <= maxWindows ? starts : Array.from({ length: maxWindows }, (_, k) => starts[Math.floor((k * starts.length) / maxWindows)]);
  const n = pick.length;
  const rmse = new Float64Array(d);
  if (n === 0) return { horizon, windows: 0, rmse };
  const cur = new Float32Array(n * d);
  const act = new Float32Array(n * a);
  pick.forEach((r, i) => cur.set(set.states.subarray(r * d, (r + 1) * d), i * d));
  for (let t = 0; t < horizon; t++) {
    pick.forEach((r, i) => act.set(set.actions.subarray((r + t) * a, (r + t + 1) * a), i * a));
    const p = model.predictRows(cur, act, n, undefined);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let e = 0; e < E; e++) s += p.mean[(e * n + i) * d + k];
        cur[i * d + k] = s / E;
      }
    }
  }
  pick.forEach((r, i) => {
    const last = r + horizon - 1;
    for (let k = 0; k < d; k++) {
      const err = cur[i * d + k] - set.next[last * d + k];
      rmse[k] += err * err;
    }
  });
  for (let k = 0; k < d; k++) rmse[k] = Math.sqrt(rmse[k] / n);
  return { horizon, windows: n, rmse };
}
