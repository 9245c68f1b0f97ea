/**
 * The improved cross-entropy method (iCEM, Pinneri et al. 2020) for model-predictive control,
 * with plain CEM as a mode for comparison. One `plan(start)` call is one control step:
 *
 *   μ, σ: H x d, μ shift-initialised from the previous step, σ reset to init_std·(half range).
 *   for i in 0..iters−1:
 *     N_i = max(2K, ⌊N_{i−1}/γ⌋)                                   (population decay)
 *     a = clip(μ + σ·ε, lo, hi), ε colored noise ∝ 1/f^β along time (see ColoredNoise)
 *     last iteration: one sample is μ itself
 *     i = 0: add ⌊ξK⌋ of the previous step's elites shifted by one step (last step sampled)
 *     i > 0: keep the previous iteration's ⌊ξK⌋ best with their costs (elite memory)
 *     elites = K best; μ ← (1−α)·mean(elites) + α·μ; σ ← (1−α)·std(elites) + α·σ
 *   execute the first action of the best sequence seen (or of μ: `execute: "mean"`)
 *
 * CEM mode: β = 0 (white noise), γ = 1, no elite memory or shift, no μ sample, executes μ's first
 * action (as PETS does); momentum, elites and shift-initialised μ as in iCEM.
 *
 * Differences from the reference code (martius-lab/iCEM icem.py, cee-us mpc_torch.py), named:
 * - the initial mean is (lo + hi)/2 (cee-us' reset_mean has (hi + lo)·2, a known slip);
 * - the elite count is min(K, ⌊N/2⌋) but at least 1 (the reference forces at least 2, even above N);
 * - a non-finite cost (a model that diverged) ranks last instead of poisoning the sort;
 * - the best sequence is tracked over all iterations explicitly; with elite memory on (iCEM)
 *   this is what the reference executes, without it (CEM with `execute: "best"`) it can differ.
 *
 * Allocation: every buffer is sized in the constructor for the largest population; `plan`
 * allocates nothing. Not thread-safe: one planner per thread.
 */
import { Rng } from "../core/rng.js";
import type { RolloutModel } from "../models/types.js";
import { ColoredNoise } from "./ColoredNoise.js";
import { PlannerOptionError, type RolloutBatch, type TrajectoryCost } from "./types.js";

export type PlannerMode = "icem" | "cem";

export interface PlannerOptions {
  readonly mode: PlannerMode;
  /** Trajectories sampled in the first iteration (N). */
  readonly population: number;
  /** Steps per planned sequence (H). */
  readonly horizon: number;
  readonly iterations: number;
  /** Elite set size (K). */
  readonly elites: number;
  /** Population decay factor per iteration (γ ≥ 1). */
  readonly decay: number;
  /** Colored-noise exponent (β ≥ 0; 0 = white). */
  readonly beta: number;
  /** Fraction of the elites carried to the next iteration and shifted to the next step (ξ). */
  readonly keepFraction: number;
  /** Momentum of the mean and std updates (α). */
  readonly momentum: number;
  /** Initial std as a fraction of half the action range. */
  readonly initStd: number;
  /** Which sequence's first action is executed. */
  readonly execute: "best" | "mean";
  readonly seed: number;
}

/** iCEM's defaults (icem settings: N 40, γ 1.25, H 30, 3 iterations, K 10, ξ 0.3, α 0.1, init_std 0.5, β 3). */
export const ICEM_DEFAULTS: PlannerOptions = Object.freeze({
  mode: "icem",
  population: 40,
  horizon: 30,
  iterations: 3,
  elites: 10,
  decay: 1.25,
  beta: 3,
  keepFraction: 0.3,
  momentum: 0.1,
  initStd: 0.5,
  execute: "best",
  seed: 0,
});

/** CEE-US free-play settings: 128 trajectories, γ 1, β 3.5, init_std 0.8, H 30. */
export const FREE_PLAY_DEFAULTS: PlannerOptions = Object.freeze({ ...ICEM_DEFAULTS, population: 128, decay: 1, beta: 3.5, initStd: 0.8 });

/** Fills in defaults for `mode` and checks every value; throws `PlannerOptionError` naming the bad one. */
export function plannerOptions(partial: Partial<PlannerOptions> = {}): PlannerOptions {
  const mode = partial.mode ?? "icem";
  if (mode !== "icem" && mode !== "cem") throw new PlannerOptionError(`planner mode must be 'icem' or 'cem', got '${String(mode)}'`);
  const cem: Partial<PlannerOptions> = mode === "cem" ? { beta: 0, decay: 1, keepFraction: 0, execute: "mean" } : {};
  const o: PlannerOptions = { ...ICEM_DEFAULTS, ...cem, ...stripUndefined(partial), mode };
  const int = (name: keyof PlannerOptions, min: number): void => {
    const v = o[name] as number;
    if (!(Number.isInteger(v) && v >= min)) throw new PlannerOptionError(`planner ${name} must be an integer >= ${min}, got ${v}`);
  };
  int("population", 2);
  int("horizon", 1);
  int("iterations", 1);
  int("elites", 1);
  const real = (name: keyof PlannerOptions, lo: number, hi: number): void => {
    const v = o[name] as number;
    if (!(Number.isFinite(v) && v >= lo && v <= hi)) throw new PlannerOptionError(`planner ${name} must be in [${lo}, ${hi}], got ${v}`);
  };
  real("decay", 1, 100);
  real("beta", 0, 10);
  real("keepFraction", 0, 1);
  real("momentum", 0, 0.999);
  real("initStd", 1e-6, 10);
  if (o.execute !== "best" && o.execute !== "mean") throw new PlannerOptionError(`planner execute must be 'best' or 'mean', got '${String(o.execute)}'`);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface PlanResult {
  /** The action to execute now: [actionDim]. */
  readonly action: Float32Array;
  /** The executed sequence (best seen, or the mean): [horizon x actionDim]. */
  readonly sequence: Float32Array;
  /** Predicted states of the best sequence seen: [horizon x stateDim]. */
  readonly states: Float32Array;
  /** Cost of the best sequence seen. */
  readonly cost: number;
  /** Mean disagreement per step along the best sequence (0 for single-member models). */
  readonly disagreement: number;
  /** Trajectories rolled out for this step. */
  readonly rollouts: number;
}

export class IcemPlanner {
  readonly options: PlannerOptions;
  readonly model: RolloutModel;
  #cost: TrajectoryCost;
  readonly #rng: Rng;
  readonly #noise: ColoredNoise;
  readonly #h: number;
  readonly #d: number;
  readonly #s: number;
  /** Elites actually kept (min(K, N/2)) and how many are reused (⌊ξ·K⌋). */
  readonly #k: number;
  readonly #keep: number;
  readonly #lo: Float64Array;
  readonly #hi: Float64Array;
  readonly #mean: Float64Array;
  readonly #std: Float64Array;
  readonly #initStd: Float64Array;
  readonly #actions: Float32Array;
  readonly #states: Float32Array;
  readonly #disagreement: Float32Array;
  readonly #costs: Float64Array;
  readonly #order: Int32Array;
  // Two elite buffers: the current one is read while the next is written.
  readonly #eliteActions: [Float32Array, Float32Array];
  readonly #eliteStates: [Float32Array, Float32Array];
  readonly #eliteCosts: [Float64Array, Float64Array];
  readonly #eliteDis: [Float64Array, Float64Array];
  #cur = 0;
  #eliteCount = 0;
  readonly #bestActions: Float32Array;
  readonly #bestStates: Float32Array;
  #bestCost = Infinity;
  #bestDis = 0;
  readonly #action: Float32Array;
  readonly #sequence: Float32Array;
  readonly #batch: { -readonly [K in keyof RolloutBatch]: RolloutBatch[K] };
  readonly #out: { states: Float32Array; disagreement: Float32Array };

  constructor(model: RolloutModel, cost: TrajectoryCost, options: Partial<PlannerOptions> = {}) {
    this.options = plannerOptions(options);
    this.model = model;
    this.#cost = cost;
    const o = this.options;
    this.#rng = new Rng(o.seed);
    this.#h = o.horizon;
    this.#d = model.actionDim;
    this.#s = model.layout.size;
    if (this.#d < 1) throw new PlannerOptionError("the model has no actions to plan");
    this.#noise = new ColoredNoise(o.beta, o.horizon);
    this.#k = Math.max(1, Math.min(o.elites, Math.floor(o.population / 2)));
    this.#keep = Math.floor(o.keepFraction * this.#k);
    const maxNew = Math.max(o.population, 2 * o.elites);
    const maxRows = maxNew + this.#keep;
    const hd = this.#h * this.#d;
    const hs = this.#h * this.#s;
    this.#lo = Float64Array.from(model.actionLow);
    this.#hi = Float64Array.from(model.actionHigh);
    for (let j = 0; j < this.#d; j++) {
      if (!(this.#lo[j] < this.#hi[j])) throw new PlannerOptionError(`action ${j} has an empty range [${this.#lo[j]}, ${this.#hi[j]}]`);
    }
    this.#mean = new Float64Array(hd);
    this.#std = new Float64Array(hd);
    this.#initStd = new Float64Array(hd);
    for (let t = 0; t < this.#h; t++) {
      for (let j = 0; j < this.#d; j++) this.#initStd[t * this.#d + j] = (o.initStd * (this.#hi[j] - this.#lo[j])) / 2;
    }
    this.#actions = new Float32Array(maxRows * hd);
    this.#states = new Float32Array(maxRows * hs);
    this.#disagreement = new Float32Array(maxRows * this.#h);
    this.#costs = new Float64Array(maxRows);
    this.#order = new Int32Array(maxRows + this.#k);
    this.#eliteActions = [new Float32Array(this.#k * hd), new Float32Array(this.#k * hd)];
    this.#eliteStates = [new Float32Array(this.#k * hs), new Float32Array(this.#k * hs)];
    this.#eliteCosts = [new Float64Array(this.#k), new Float64Array(this.#k)];
    this.#eliteDis = [new Float64Array(this.#k), new Float64Array(this.#k)];
    this.#bestActions = new Float32Array(hd);
    this.#bestStates = new Float32Array(hs);
    this.#action = new Float32Array(this.#d);
    this.#sequence = new Float32Array(hd);
    this.#out = { states: this.#states, disagreement: this.#disagreement };
    this.#batch = {
      layout: model.layout,
      actionDim: this.#d,
      n: 0,
      h: this.#h,
      states: this.#states,
      actions: this.#actions,
      disagreement: this.#disagreement,
      start: new Float64Array(0),
      startTimeSec: 0,
      stepSec: model.stepSec,
    };
    this.reset();
  }

  get cost(): TrajectoryCost {
    return this.#cost;
  }

  /** Swaps the cost (a new task or target); forgets the elites, which were good for the old one. */
  setCost(cost: TrajectoryCost): void {
    this.#cost = cost;
    this.reset();
  }

  /** Trajectories rolled out per control step once the elite shift is running. */
  get trajectoriesPerStep(): number {
    const o = this.options;
    let n = o.population;
    let total = 0;
    for (let i = 0; i < o.iterations; i++) {
      if (i > 0) n = Math.max(2 * o.elites, Math.floor(n / o.decay));
      total += n;
    }
    return total + (o.mode === "icem" ? this.#keep : 0);
  }

  /** Back to the initial distribution, no elites (a new episode or target). */
  reset(): void {
    const d = this.#d;
    for (let t = 0; t < this.#h; t++) for (let j = 0; j < d; j++) this.#mean[t * d + j] = (this.#lo[j] + this.#hi[j]) / 2;
    this.#std.set(this.#initStd);
    this.#eliteCount = 0;
  }

  /** Plans one control step from `start` (a state in the model's layout); see the file comment. */
  plan(start: Float64Array, startTimeSec = 0): PlanResult {
    const o = this.options;
    const icem = o.mode === "icem";
    const h = this.#h;
    const d = this.#d;
    const hd = h * d;
    const hs = h * this.#s;
    const batch = this.#batch;
    batch.start = start;
    batch.startTimeSec = startTimeSec;
    this.#bestCost = Infinity;
    this.#bestDis = 0;
    let rollouts = 0;
    let n = o.population;
    for (let i = 0; i < o.iterations; i++) {
      if (i > 0) n = Math.max(2 * o.elites, Math.floor(n / o.decay));
      let rows = n;
      for (let r = 0; r < n; r++) this.#sampleInto(r * hd);
      if (icem && i === o.iterations - 1) {
        for (let k = 0; k < hd; k++) this.#actions[k] = this.#mean[k];
      }
      // i = 0: the previous step's elites, shifted by one step.
      const shifted = icem && i === 0 ? Math.min(this.#keep, this.#eliteCount) : 0;
      const prev = this.#eliteActions[this.#cur];
      for (let e = 0; e < shifted; e++) {
        const dst = rows * hd;
        for (let k = 0; k < hd - d; k++) this.#actions[dst + k] = prev[e * hd + d + k];
        this.#sampleLastStep(dst);
        rows++;
      }
      batch.n = rows;
      this.#disagreement.fill(0, 0, rows * h);
      this.model.rollout(start, this.#actions, rows, h, this.#out);
      this.#cost.evaluate(batch, this.#costs);
      rollouts += rows;
      // i > 0: the previous iteration's best, with their costs (no second rollout).
      const kept = icem && i > 0 ? Math.min(this.#keep, this.#eliteCount) : 0;
      this.#selectElites(rows, kept, hd, hs);
    }
    const exec = o.execute === "best" && this.#bestCost < Infinity ? this.#bestActions : this.#mean;
    for (let k = 0; k < hd; k++) this.#sequence[k] = exec[k];
    for (let j = 0; j < d; j++) this.#action[j] = this.#sequence[j];
    // Shift for the next step: μ[t] ← μ[t+1], the last step kept; σ back to its initial value.
    this.#mean.copyWithin(0, d);
    this.#std.set(this.#initStd);
    if (!icem) this.#eliteCount = 0;
    return {
      action: this.#action,
      sequence: this.#sequence,
      states: this.#bestStates,
      cost: this.#bestCost,
      disagreement: this.#bestDis,
      rollouts,
    };
  }

  /** One sequence at `offset`: clip(μ + σ·ε), ε colored along time, one dimension at a time. */
  #sampleInto(offset: number): void {
    const d = this.#d;
    const hd = this.#h * d;
    const a = this.#actions;
    for (let j = 0; j < d; j++) this.#noise.sample(this.#rng, a, offset + j, d);
    for (let k = 0; k < hd; k++) {
      const j = k % d;
      const v = this.#mean[k] + this.#std[k] * a[offset + k];
      a[offset + k] = v < this.#lo[j] ? this.#lo[j] : v > this.#hi[j] ? this.#hi[j] : v;
    }
  }

  /** The last step of a shifted elite: a fresh draw from the current distribution at t = H−1. */
  #sampleLastStep(offset: number): void {
    const d = this.#d;
    const base = (this.#h - 1) * d;
    for (let j = 0; j < d; j++) {
      const v = this.#mean[base + j] + this.#std[base + j] * this.#rng.normal();
      this.#actions[offset + base + j] = v < this.#lo[j] ? this.#lo[j] : v > this.#hi[j] ? this.#hi[j] : v;
    }
  }

  /** Candidates: `rows` rolled out now and `kept` elites of the last iteration. Picks the K best, updates μ, σ and the best seen. */
  #selectElites(rows: number, kept: number, hd: number, hs: number): void {
    const cur = this.#cur;
    const nxt = 1 - cur;
    const total = rows + kept;
    const order = this.#order;
    const costOf = (c: number): number => {
      const v = c < rows ? this.#costs[c] : this.#eliteCosts[cur][c - rows];
      return Number.isFinite(v) ? v : Infinity;
    };
    for (let c = 0; c < total; c++) order[c] = c;
    const k = Math.min(this.#k, total);
    // Partial selection sort: the k cheapest first, in order.
    for (let a = 0; a < k; a++) {
      let best = a;
      let bestCost = costOf(order[a]);
      for (let b = a + 1; b < total; b++) {
        const cb = costOf(order[b]);
        if (cb < bestCost) {
          best = b;
          bestCost = cb;
        }
      }
      const tmp = order[a];
      order[a] = order[best];
      order[best] = tmp;
    }
    const ea = this.#eliteActions[nxt];
    const es = this.#eliteStates[nxt];
    const ec = this.#eliteCosts[nxt];
    const ed = this.#eliteDis[nxt];
    const h = this.#h;
    for (let e = 0; e < k; e++) {
      const c = order[e];
      if (c < rows) {
        ea.set(this.#actions.subarray(c * hd, (c + 1) * hd), e * hd);
        es.set(this.#states.subarray(c * hs, (c + 1) * hs), e * hs);
        let dis = 0;
        for (let t = 0; t < h; t++) dis += this.#disagreement[c * h + t];
        ed[e] = dis / h;
      } else {
        const p = c - rows;
        ea.set(this.#eliteActions[cur].subarray(p * hd, (p + 1) * hd), e * hd);
        es.set(this.#eliteStates[cur].subarray(p * hs, (p + 1) * hs), e * hs);
        ed[e] = this.#eliteDis[cur][p];
      }
      ec[e] = costOf(c);
    }
    this.#cur = nxt;
    this.#eliteCount = k;
    if (k > 0 && ec[0] < this.#bestCost) {
      this.#bestCost = ec[0];
      this.#bestDis = ed[0];
      this.#bestActions.set(ea.subarray(0, hd));
      this.#bestStates.set(es.subarray(0, hs));
    }
    // μ ← (1−α)·mean(elites) + α·μ; σ ← (1−α)·std(elites) + α·σ (population std).
    const alpha = this.options.momentum;
    for (let q = 0; q < hd; q++) {
      let s = 0;
      for (let e = 0; e < k; e++) s += ea[e * hd + q];
      const m = s / k;
      let v = 0;
      for (let e = 0; e < k; e++) {
        const dv = ea[e * hd + q] - m;
        v += dv * dv;
      }
      this.#mean[q] = (1 - alpha) * m + alpha * this.#mean[q];
      this.#std[q] = (1 - alpha) * Math.sqrt(v / k) + alpha * this.#std[q];
    }
  }
}
