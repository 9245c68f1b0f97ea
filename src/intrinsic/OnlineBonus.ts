/**
 * An intrinsic reward bonus learned online, for any learner that sees batches of transitions
 * (the worker-thread learner, the ROS 2 learner node, an experiment): r = R + α(t)·R_int.
 *
 * It keeps the most recent `capacity` transitions in a ring, trains a probabilistic ensemble on
 * them every `trainEvery` environment steps (`trainSteps` Adam steps; normalizers refitted each
 * time), and scores each incoming batch with the chosen signal of that ensemble: disagreement,
 * prediction error, or the causal action influence on chosen observation entries (clipped to [0, 2]). α decays linearly from `alpha` to 0 over `alphaDecaySteps` (0: constant), so
 * exploration gives way to the task. Synchronous; meant for the learner's thread, never the loop.
 *
 * The model sees the learner's own observation vector (a "state" of `stateDim` entries) rather
 * than a `StateLayout` of named sensor groups: that is what the learner has in hand.
 *
 * Each training round draws its bootstraps from a generator seeded by (seed, round), so the whole
 * state of the bonus is what `exportState` returns (model, normalizers, Adam's moments and step
 * count, the stored transitions, counters): a bonus restored from it (`importState`) trains and
 * scores exactly as the one it was taken from. Before a round, the rows that arrived since the
 * last one (the newest 1024 at most, which the model has not trained on) give a held-out loss:
 * the ensemble's Gaussian NLL per entry in z-scored delta units (see evaluateEnsemble).
 */
import type { ProbabilisticEnsemble as Ensemble, EnsembleConfig, EnsembleState } from "../models/ProbabilisticEnsemble.js";
import { ProbabilisticEnsemble } from "../models/ProbabilisticEnsemble.js";
import { EnsembleTrainer, evaluateEnsemble } from "../models/EnsembleTrainer.js";
import type { StateLayout } from "../models/types.js";
import type { AdamState } from "../learner/optimizers/Adam.js";
import { CausalActionInfluence } from "./CausalActionInfluence.js";
import { Disagreement } from "./Disagreement.js";
import { PredictionError } from "./PredictionError.js";
import type { IntrinsicSignal } from "./types.js";

export type BonusSignal = "disagreement" | "prediction-error" | "cai";
export const BONUS_SIGNALS: readonly BonusSignal[] = ["disagreement", "prediction-error", "cai"];

export interface OnlineBonusOptions {
  readonly signal: BonusSignal;
  readonly stateDim: number;
  readonly actionDim: number;
  /** α at step 0. */
  readonly alpha: number;
  /** Steps over which α falls linearly to 0; 0 keeps α constant. */
  readonly alphaDecaySteps?: number;
  readonly capacity?: number;
  readonly trainEvery?: number;
  readonly trainSteps?: number;
  /** No bonus (and no training) before this many transitions. */
  readonly warmup?: number;
  readonly model?: Partial<EnsembleConfig>;
  readonly batchSize?: number;
  readonly seed?: number;
  /** CAI: the observation entries [start, end) whose action influence is the bonus (default all), and the action bounds (default ±1). */
  readonly caiEntries?: readonly [number, number];
  readonly actionLow?: readonly number[];
  readonly actionHigh?: readonly number[];
  /** Also compute the ensemble disagreement of every scored batch when the signal is another (for live figures). */
  readonly trackDisagreement?: boolean;
  /** The model's initial state (e.g. a world-model file's ensemble, to go on training it); its configuration replaces `model`. */
  readonly initialModel?: EnsembleState;
}

/** The learner's observation vector as a state layout of `size` unnamed entries (obs0, obs1, ...). */
export function observationLayout(size: number): StateLayout {
  return { groups: [{ kind: "joint_angle", names: Array.from({ length: size }, (_, i) => `obs${i}`), offset: 0, size }], size };
}

/** Everything a bonus needs to continue exactly where it was (see `exportState`). */
export interface OnlineBonusState {
  readonly model: EnsembleState;
  readonly adam: AdamState;
  readonly count: number;
  readonly head: number;
  readonly sinceTrain: number;
  readonly updates: number;
  readonly lastIntrinsic: number;
  readonly lastDisagreement: number;
  readonly modelLoss: number;
  readonly holdoutLoss: number;
  /** The stored transitions (`count` rows each); absent: the restored bonus starts with none. */
  readonly data?: { readonly states: Float32Array; readonly actions: Float32Array; readonly next: Float32Array };
}

export interface BonusStats {
  /** Mean intrinsic signal (before α) of the last scored batch. */
  readonly lastIntrinsic: number;
  readonly alpha: number;
  readonly modelLoss: number;
  /** NLL per entry on the rows that arrived before the last update, before it trained on them (NaN before the second update). */
  readonly holdoutLoss: number;
  /** Mean ensemble disagreement of the last scored batch (NaN unless the signal is disagreement or `trackDisagreement`). */
  readonly disagreement: number;
  readonly modelUpdates: number;
  readonly modelVersion: number;
}

export class OnlineBonus {
  readonly options: Required<Omit<OnlineBonusOptions, "model" | "initialModel">> & { model: Partial<EnsembleConfig> };
  readonly model: Ensemble;
  readonly #signal: IntrinsicSignal;
  readonly #disagreement: Disagreement | undefined;
  readonly #s: Float32Array;
  readonly #a: Float32Array;
  readonly #n: Float32Array;
  #count = 0;
  #head = 0;
  #sinceTrain = 0;
  #lastIntrinsic = 0;
  #modelLoss = NaN;
  #holdoutLoss = NaN;
  #lastDisagreement = NaN;
  #updates = 0;
  #out = new Float64Array(0);
  #dis = new Float64Array(0);
  #bs = new Float32Array(0);
  #ba = new Float32Array(0);
  #bn = new Float32Array(0);

  constructor(options: OnlineBonusOptions) {
    this.options = {
      alphaDecaySteps: 0,
      capacity: 50_000,
      trainEvery: 1000,
      trainSteps: 50,
      warmup: 1000,
      model: {},
      batchSize: 256,
      seed: 0,
      caiEntries: [0, options.stateDim],
      actionLow: new Array<number>(options.actionDim).fill(-1),
      actionHigh: new Array<number>(options.actionDim).fill(1),
      trackDisagreement: false,
      ...options,
    };
    delete (this.options as { initialModel?: unknown }).initialModel;
    const o = this.options;
    if (!BONUS_SIGNALS.includes(o.signal)) throw new RangeError(`intrinsic signal '${o.signal}' cannot be learned online: use ${BONUS_SIGNALS.join(" or ")}`);
    if (!(o.alpha >= 0)) throw new RangeError(`alpha must be >= 0, got ${o.alpha}`);
    const init = options.initialModel;
    this.model = new ProbabilisticEnsemble(observationLayout(o.stateDim), o.actionDim, init ? init.config : { hidden: [128, 128, 128], ...o.model }, o.seed);
    if (init) {
      try {
        this.model.load(init);
      } catch (err) {
        this.model.dispose();
        throw err;
      }
    }
    this.#signal =
      o.signal === "disagreement"
        ? new Disagreement(this.model, { scale: this.model.targetNorm.std })
        : o.signal === "prediction-error"
          ? new PredictionError(this.model, { scale: this.model.targetNorm.std })
          : new CausalActionInfluence(this.model, { entries: o.caiEntries, actionLow: o.actionLow, actionHigh: o.actionHigh, samples: 32, seed: o.seed });
    this.#disagreement = o.trackDisagreement && o.signal !== "disagreement" ? new Disagreement(this.model, { scale: this.model.targetNorm.std }) : undefined;
    this.#s = new Float32Array(o.capacity * o.stateDim);
    this.#a = new Float32Array(o.capacity * o.actionDim);
    this.#n = new Float32Array(o.capacity * o.stateDim);
  }

  /** α at environment step `step`. */
  alphaAt(step: number): number {
    const { alpha, alphaDecaySteps } = this.options;
    return alphaDecaySteps > 0 ? alpha * Math.max(0, 1 - step / alphaDecaySteps) : alpha;
  }

  stats(step: number): BonusStats {
    return {
      lastIntrinsic: this.#lastIntrinsic,
      alpha: this.alphaAt(step),
      modelLoss: this.#modelLoss,
      holdoutLoss: this.#holdoutLoss,
      disagreement: this.options.signal === "disagreement" ? (this.#updates > 0 ? this.#lastIntrinsic : NaN) : this.#lastDisagreement,
      modelUpdates: this.#updates,
      modelVersion: this.model.version,
    };
  }

  /**
   * Stores `rows` transitions (row-major observations, actions, next observations), trains the
   * model when it is due, and returns the rewards with the bonus added (a new array). Rows with
   * a non-finite value are neither stored nor given a bonus.
   */
  apply(observations: ArrayLike<number>, actions: ArrayLike<number>, nextObservations: ArrayLike<number>, rewards: ArrayLike<number>, rows: number, step: number): Float64Array {
    const { stateDim: d, actionDim: a, capacity } = this.options;
    const finite = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) {
      let ok = true;
      for (let k = 0; k < d && ok; k++) ok = Number.isFinite(observations[i * d + k]) && Number.isFinite(nextObservations[i * d + k]);
      for (let k = 0; k < a && ok; k++) ok = Number.isFinite(actions[i * a + k]);
      finite[i] = ok ? 1 : 0;
      if (!ok) continue;
      const h = this.#head;
      for (let k = 0; k < d; k++) {
        this.#s[h * d + k] = observations[i * d + k];
        this.#n[h * d + k] = nextObservations[i * d + k];
      }
      for (let k = 0; k < a; k++) this.#a[h * a + k] = actions[i * a + k];
      this.#head = (h + 1) % capacity;
      this.#count = Math.min(capacity, this.#count + 1);
    }
    this.#sinceTrain += rows;
    if (this.#count >= this.options.warmup && (this.#updates === 0 || this.#sinceTrain >= this.options.trainEvery)) this.train();
    const out = Float64Array.from({ length: rows }, (_, i) => rewards[i]);
    const alpha = this.alphaAt(step);
    if (this.#updates === 0 || (alpha === 0 && !this.options.trackDisagreement)) return out;
    if (this.#out.length < rows) {
      this.#out = new Float64Array(rows);
      this.#bs = new Float32Array(rows * d);
      this.#ba = new Float32Array(rows * a);
      this.#bn = new Float32Array(rows * d);
    }
    for (let i = 0; i < rows * d; i++) {
      this.#bs[i] = observations[i];
      this.#bn[i] = nextObservations[i];
    }
    for (let i = 0; i < rows * a; i++) this.#ba[i] = actions[i];
    this.#signal.compute({ rows, states: this.#bs.subarray(0, rows * d), actions: this.#ba.subarray(0, rows * a), next: this.#bn.subarray(0, rows * d) }, this.#out);
    let sum = 0;
    let used = 0;
    for (let i = 0; i < rows; i++) {
      if (!finite[i] || !Number.isFinite(this.#out[i])) continue;
      // CAI's bonus is clipped to [0, 2] as in cid-in-rl (r + 0.2·clip(C, 0, 2) there; α here).
      if (this.#signal.name === "cai") this.#out[i] = Math.min(2, Math.max(0, this.#out[i]));
      out[i] += alpha * this.#out[i];
      sum += this.#out[i];
      used++;
    }
    this.#lastIntrinsic = used > 0 ? sum / used : 0;
    if (this.#disagreement) {
      if (this.#dis.length < rows) this.#dis = new Float64Array(rows);
      this.#disagreement.compute({ rows, states: this.#bs.subarray(0, rows * d), actions: this.#ba.subarray(0, rows * a) }, this.#dis);
      let ds = 0;
      let dn = 0;
      for (let i = 0; i < rows; i++) {
        if (!finite[i] || !Number.isFinite(this.#dis[i])) continue;
        ds += this.#dis[i];
        dn++;
      }
      this.#lastDisagreement = dn > 0 ? ds / dn : NaN;
    }
    return out;
  }

  /**
   * Refits the normalizers on the stored transitions and runs `trainSteps` Adam steps (the
   * bootstraps drawn from a generator of this round). Measures the held-out loss first (see above).
   */
  train(): void {
    const { stateDim: d, actionDim: a } = this.options;
    const n = this.#count;
    if (this.#updates > 0) this.#holdoutLoss = this.#newestLoss(Math.min(this.#sinceTrain, n, 1024));
    const trainer = new EnsembleTrainer(this.model, { batchSize: this.options.batchSize, seed: roundSeed(this.options.seed, this.#updates) });
    trainer.setData({ rows: n, stateDim: d, actionDim: a, states: this.#s.subarray(0, n * d), actions: this.#a.subarray(0, n * a), next: this.#n.subarray(0, n * d) }, true);
    this.#modelLoss = trainer.trainSteps(this.options.trainSteps);
    this.#updates++;
    this.#sinceTrain = 0;
  }

  /** The ensemble's NLL per entry on the newest `rows` stored transitions (NaN for none). */
  #newestLoss(rows: number): number {
    if (rows < 1) return NaN;
    const { stateDim: d, actionDim: a, capacity } = this.options;
    const states = new Float32Array(rows * d);
    const actions = new Float32Array(rows * a);
    const next = new Float32Array(rows * d);
    for (let i = 0; i < rows; i++) {
      const slot = (this.#head - rows + i + capacity) % capacity;
      states.set(this.#s.subarray(slot * d, (slot + 1) * d), i * d);
      next.set(this.#n.subarray(slot * d, (slot + 1) * d), i * d);
      actions.set(this.#a.subarray(slot * a, (slot + 1) * a), i * a);
    }
    return evaluateEnsemble(this.model, { rows, stateDim: d, actionDim: a, states, actions, next }).nll;
  }

  /** The model and normalizers (for checkpoints and for publishing weights). */
  modelState(): EnsembleState {
    return this.model.state();
  }

  /** Restores a checkpointed model; throws ModelShapeError (changing nothing) on a mismatch. */
  loadModelState(s: EnsembleState, updates = 1): void {
    this.model.load(s);
    this.#updates = Math.max(this.#updates, updates);
  }

  /**
   * The bonus's whole state: a bonus of the same options restored from it continues exactly (the
   * same scores, the same next update). `withData` includes the stored transitions (copies).
   */
  exportState(withData: boolean): OnlineBonusState {
    const { stateDim: d, actionDim: a } = this.options;
    const n = this.#count;
    return {
      model: this.model.state(),
      adam: this.model.optimizerState(),
      count: withData ? n : 0,
      head: withData ? this.#head : 0,
      sinceTrain: this.#sinceTrain,
      updates: this.#updates,
      lastIntrinsic: this.#lastIntrinsic,
      lastDisagreement: this.#lastDisagreement,
      modelLoss: this.#modelLoss,
      holdoutLoss: this.#holdoutLoss,
      ...(withData ? { data: { states: this.#s.slice(0, n * d), actions: this.#a.slice(0, n * a), next: this.#n.slice(0, n * d) } } : {}),
    };
  }

  /**
   * Restores `exportState`'s result. The model's shapes are checked first: a state that does not
   * fit throws ModelShapeError and changes nothing; so does stored data of the wrong size (RangeError).
   */
  importState(s: OnlineBonusState): void {
    const { stateDim: d, actionDim: a, capacity } = this.options;
    if (s.data && (s.count > capacity || s.data.states.length !== s.count * d || s.data.next.length !== s.count * d || s.data.actions.length !== s.count * a)) {
      throw new RangeError(`intrinsic-reward state holds ${s.count} transitions that do not fit state ${d} / action ${a} / capacity ${capacity}`);
    }
    this.model.load(s.model);
    this.model.loadOptimizerState(s.adam);
    this.#count = s.data ? s.count : 0;
    this.#head = s.data ? s.head % capacity : 0;
    if (s.data) {
      this.#s.set(s.data.states);
      this.#a.set(s.data.actions);
      this.#n.set(s.data.next);
    }
    this.#sinceTrain = s.sinceTrain;
    this.#updates = s.updates;
    this.#lastIntrinsic = s.lastIntrinsic;
    this.#lastDisagreement = s.lastDisagreement;
    this.#modelLoss = s.modelLoss;
    this.#holdoutLoss = s.holdoutLoss;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The seed of training round `round`'s bootstraps. */
function roundSeed(seed: number, round: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) + Math.imul(round + 1, 0x85ebca6b)) >>> 0;
}
