/**
 * Several reach environments stepped together in one process (TonicRL's "sequential"
 * parallelism): observations, actions and results are laid out environment after environment.
 * An environment whose episode ends is reset at once; `nextObservations` then holds the last
 * observation of the finished episode (what the replay needs) and `observations` the first of
 * the new one.
 */
import { ReachEnv, type ReachEnvOptions } from "./ReachEnv.js";

export interface VectorStep {
  readonly observations: Float64Array;
  readonly nextObservations: Float64Array;
  readonly rewards: Float64Array;
  readonly resets: Uint8Array;
  readonly terminations: Uint8Array;
  /** Per environment: solved on this step, distance after it. */
  readonly solved: Uint8Array;
  readonly distancesM: Float64Array;
  readonly muscleStates: Float64Array;
}

export class VectorEnv {
  readonly envs: readonly ReachEnv[];
  readonly observationSize: number;
  readonly actionSize: number;
  readonly #out: VectorStep;

  private constructor(envs: ReachEnv[]) {
    this.envs = envs;
    this.observationSize = envs[0].observationSize;
    this.actionSize = envs[0].actionSize;
    const E = envs.length;
    this.#out = {
      observations: new Float64Array(E * this.observationSize),
      nextObservations: new Float64Array(E * this.observationSize),
      rewards: new Float64Array(E),
      resets: new Uint8Array(E),
      terminations: new Uint8Array(E),
      solved: new Uint8Array(E),
      distancesM: new Float64Array(E),
      muscleStates: new Float64Array(E * this.actionSize),
    };
  }

  /** `count` environments; environment i is seeded with seed·1000 + i. */
  static async create(count: number, options: Omit<ReachEnvOptions, "seed"> & { seed: number }): Promise<VectorEnv> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`environment count must be an integer >= 1, got ${count}`);
    const envs: ReachEnv[] = [];
    try {
      for (let i = 0; i < count; i++) envs.push(await ReachEnv.create({ ...options, seed: options.seed * 1000 + i }));
    } catch (err) {
      await Promise.all(envs.map((e) => e.close()));
      throw err;
    }
    return new VectorEnv(envs);
  }

  get count(): number {
    return this.envs.length;
  }

  /** Resets every environment; returns the reused result object with the first observations and muscle states. */
  start(): VectorStep {
    const O = this.observationSize;
    const n = this.actionSize;
    this.envs.forEach((env, i) => {
      env.reset(this.#out.observations, i * O);
      env.muscleStates(this.#out.muscleStates, i * n);
    });
    return this.#out;
  }

  /** Steps every environment with its slice of `actions` (E x A). The result object is reused. */
  step(actions: ArrayLike<number>): VectorStep {
    const O = this.observationSize;
    const A = this.actionSize;
    const out = this.#out;
    for (let i = 0; i < this.envs.length; i++) {
      const env = this.envs[i];
      const r = env.step(actions, out.nextObservations, i * A, i * O);
      out.rewards[i] = r.reward;
      out.resets[i] = r.reset ? 1 : 0;
      out.terminations[i] = r.terminated ? 1 : 0;
      out.solved[i] = r.solved ? 1 : 0;
      out.distancesM[i] = r.distanceM;
      if (r.reset) env.reset(out.observations, i * O);
      else out.observations.set(out.nextObservations.subarray(i * O, i * O + O), i * O);
      env.muscleStates(out.muscleStates, i * A);
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.envs.map((e) => e.close()));
  }
}
