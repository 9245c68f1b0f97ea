/**
 * Replay buffer with n-step returns, as TonicRL's `Buffer`: one ring per worker (environment),
 * uniform sampling over every stored transition, and batches handed out in rounds of
 * `batchIterations` every `stepsBetweenBatches` environment steps once `stepsBeforeBatches`
 * steps have been taken.
 *
 * n-step returns are accumulated as transitions arrive: storing transition t adds its reward,
 * discounted, to the previous `returnSteps − 1` transitions of the same worker and moves their
 * next observation forward, stopping at an episode boundary (a reset). After that, a transition
 * holds r_t + γ r_{t+1} + … + γ^{k−1} r_{t+k−1}, discount γ^k (0 after a termination) and the
 * observation k steps on, k ≤ returnSteps.
 *
 * Storage is Float32Array, sized once (`size` transitions over all workers); nothing allocates
 * per step or per batch (the batch arrays are reused: copy what you keep).
 */
import { Rng } from "../../core/rng.js";

export interface BufferOptions {
  /** Capacity in transitions over all workers (default 1e6). */
  readonly size?: number;
  /** n of the n-step returns (default 1). */
  readonly returnSteps?: number;
  /** Batches per round of updates (default 50). */
  readonly batchIterations?: number;
  /** Transitions per batch (default 100). */
  readonly batchSize?: number;
  /** Discount per step (default 0.99). */
  readonly discountFactor?: number;
  /** No batches before this many environment steps (default 1e4). */
  readonly stepsBeforeBatches?: number;
  /** Environment steps between rounds of batches (default 50). */
  readonly stepsBetweenBatches?: number;
}

export interface Batch {
  readonly size: number;
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  readonly nextObservations: Float32Array;
  readonly rewards: Float32Array;
  readonly discounts: Float32Array;
}

export interface BufferState {
  readonly index: number;
  readonly size: number;
  readonly rng: Uint32Array;
  readonly lastRound: number;
  /** The stored rows [0, size) of each array (index-major), when saved with the replay. */
  readonly arrays?: Readonly<Record<string, Float32Array>>;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly returnSteps: number;
  readonly batchIterations: number;
  readonly batchSize: number;
  readonly discountFactor: number;
  readonly stepsBeforeBatches: number;
  readonly stepsBetweenBatches: number;

  #workers = 0;
  #obsSize = 0;
  #actSize = 0;
  /** Rows per worker ring. */
  #rows = 0;
  #index = 0;
  #size = 0;
  #lastRound = -1;
  #rng = new Rng(0);
  #observations = new Float32Array(0);
  #actions = new Float32Array(0);
  #nextObservations = new Float32Array(0);
  #rewards = new Float32Array(0);
  #discounts = new Float32Array(0);
  #resets = new Float32Array(0);
  #masks = new Float32Array(0);
  #batch: Batch | undefined;

  constructor(options: BufferOptions = {}) {
    this.capacity = options.size ?? 1e6;
    this.returnSteps = options.returnSteps ?? 1;
    this.batchIterations = options.batchIterations ?? 50;
    this.batchSize = options.batchSize ?? 100;
    this.discountFactor = options.discountFactor ?? 0.99;
    this.stepsBeforeBatches = options.stepsBeforeBatches ?? 1e4;
    this.stepsBetweenBatches = options.stepsBetweenBatches ?? 50;
    for (const [k, v] of Object.entries({ size: this.capacity, returnSteps: this.returnSteps, batchIterations: this.batchIterations, batchSize: this.batchSize, stepsBetweenBatches: this.stepsBetweenBatches })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`replay ${k} must be an integer >= 1, got ${v}`);
    }
    if (!(this.discountFactor >= 0 && this.discountFactor <= 1)) throw new RangeError(`replay discountFactor must be in [0, 1], got ${this.discountFactor}`);
  }

  initialize(workers: number, observationSize: number, actionSize: number, seed: number): void {
    this.#workers = workers;
    this.#obsSize = observationSize;
    this.#actSize = actionSize;
    this.#rows = Math.max(1, Math.floor(this.capacity / workers));
    const rw = this.#rows * workers;
    this.#observations = new Float32Array(rw * observationSize);
    this.#nextObservations = new Float32Array(rw * observationSize);
    this.#actions = new Float32Array(rw * actionSize);
    this.#rewards = new Float32Array(rw);
    this.#discounts = new Float32Array(rw);
    this.#resets = new Float32Array(rw);
    this.#masks = new Float32Array(workers);
    this.#rng = new Rng(seed);
    this.#index = 0;
    this.#size = 0;
    this.#lastRound = -1;
    const b = this.batchSize;
    this.#batch = {
      size: b,
      observations: new Float32Array(b * observationSize),
      actions: new Float32Array(b * actionSize),
      nextObservations: new Float32Array(b * observationSize),
      rewards: new Float32Array(b),
      discounts: new Float32Array(b),
    };
  }

  /** Transitions stored, over all workers. */
  get size(): number {
    return this.#size * this.#workers;
  }

  /**
   * True when a round of batches is due at `steps` environment steps: past `stepsBeforeBatches`
   * and a multiple of `stepsBetweenBatches` crossed since the last round. (The reference tests
   * `steps % stepsBetweenBatches == 0`, which never fires when the worker count does not divide
   * the interval; counting crossings fires once per interval in every case.)
   */
  ready(steps: number): boolean {
    if (steps < this.stepsBeforeBatches) return false;
    const round = Math.floor(steps / this.stepsBetweenBatches);
    if (round === this.#lastRound) return false;
    this.#lastRound = round;
    return true;
  }

  /**
   * Stores one transition per worker (arrays laid out worker after worker). `resets` marks
   * the last step of an episode (time limit or termination), `terminations` a true end (no
   * bootstrapping).
   */
  store(
    observations: ArrayLike<number>,
    actions: ArrayLike<number>,
    nextObservations: ArrayLike<number>,
    rewards: ArrayLike<number>,
    resets: ArrayLike<number | boolean>,
    terminations: ArrayLike<number | boolean>,
  ): void {
    const W = this.#workers;
    const O = this.#obsSize;
    const A = this.#actSize;
    const row = this.#index * W;
    this.#observations.set(observations as ArrayLike<number>, row * O);
    this.#nextObservations.set(nextObservations as ArrayLike<number>, row * O);
    this.#actions.set(actions as ArrayLike<number>, row * A);
    for (let w = 0; w < W; w++) {
      this.#rewards[row + w] = rewards[w];
      this.#discounts[row + w] = (terminations[w] ? 0 : 1) * this.discountFactor;
      this.#resets[row + w] = resets[w] ? 1 : 0;
    }
    if (this.returnSteps > 1) this.#accumulate(row);
    this.#index = (this.#index + 1) % this.#rows;
    this.#size = Math.min(this.#size + 1, this.#rows);
  }

  #accumulate(newRow: number): void {
    const W = this.#workers;
    const O = this.#obsSize;
    const masks = this.#masks.fill(1);
    const n = Math.min(this.#size, this.returnSteps - 1);
    for (let i = 0; i < n; i++) {
      const row = (((this.#index - i - 1) % this.#rows) + this.#rows) % this.#rows * W;
      for (let w = 0; w < W; w++) {
        masks[w] *= 1 - this.#resets[row + w];
        if (masks[w] === 0) continue;
        const r = row + w;
        const rNew = newRow + w;
        this.#rewards[r] += this.#discounts[r] * this.#rewards[rNew];
        this.#discounts[r] *= this.#discounts[rNew];
        this.#nextObservations.copyWithin(r * O, rNew * O, rNew * O + O);
      }
    }
  }

  /**
   * Fills the reused batch with `batchSize` transitions drawn uniformly (with replacement) and
   * returns it. Call `batchIterations` times per round.
   */
  sample(): Batch {
    const b = this.#batch;
    if (!b || this.#size === 0) throw new Error("ReplayBuffer.sample: the buffer is empty");
    const O = this.#obsSize;
    const A = this.#actSize;
    const total = this.#size * this.#workers;
    for (let k = 0; k < b.size; k++) {
      // Rows are stored worker after worker, so a flat index within the filled rows is a row.
      const idx = Math.floor(this.#rng.next() * total);
      b.observations.set(this.#observations.subarray(idx * O, idx * O + O), k * O);
      b.nextObservations.set(this.#nextObservations.subarray(idx * O, idx * O + O), k * O);
      b.actions.set(this.#actions.subarray(idx * A, idx * A + A), k * A);
      b.rewards[k] = this.#rewards[idx];
      b.discounts[k] = this.#discounts[idx];
    }
    return b;
  }

  /** Counters and random state; with `withData`, the stored transitions too. */
  state(withData: boolean): BufferState {
    const rw = this.#size * this.#workers;
    const arrays = withData
      ? {
          observations: this.#observations.slice(0, rw * this.#obsSize),
          nextObservations: this.#nextObservations.slice(0, rw * this.#obsSize),
          actions: this.#actions.slice(0, rw * this.#actSize),
          rewards: this.#rewards.slice(0, rw),
          discounts: this.#discounts.slice(0, rw),
          resets: this.#resets.slice(0, rw),
        }
      : undefined;
    return { index: this.#index, size: this.#size, rng: this.#rng.getState(), lastRound: this.#lastRound, arrays };
  }

  /** Restores `state()`; without saved transitions the buffer starts empty (counters and random state kept). */
  load(state: BufferState): void {
    this.#rng.setState(state.rng);
    this.#lastRound = state.lastRound;
    if (!state.arrays) {
      this.#index = 0;
      this.#size = 0;
      return;
    }
    if (state.size > this.#rows) throw new RangeError(`replay checkpoint holds ${state.size} rows per worker; this buffer has room for ${this.#rows}`);
    const a = state.arrays;
    this.#observations.set(a.observations);
    this.#nextObservations.set(a.nextObservations);
    this.#actions.set(a.actions);
    this.#rewards.set(a.rewards);
    this.#discounts.set(a.discounts);
    this.#resets.set(a.resets);
    this.#index = state.index;
    this.#size = state.size;
  }
}
