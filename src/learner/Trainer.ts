/**
 * The training loop, as TonicRL's `Trainer` with the DEP-RL additions: every environment step
 * the exploration picks who acts (policy or DEP), the environments step, and the agent learns
 * from the transition (its replay decides when to update). Every `epochSteps` environment steps
 * the policy is tested greedily (its mean action) on `testEpisodes` fixed targets, and a row of
 * the learning curve is produced. Checkpoints are written every `saveSteps` and at the end.
 *
 * Greedy episodes: with a DEP-RL schedule, every `testEpisodeEvery`-th episode (counted over all
 * environments, starting with the first) is run by the policy alone and DEP is not stepped, as
 * in the reference's trainer; those transitions are stored like any other.
 */
import type { MlpPolicy } from "./inference/MlpPolicy.js";
import type { ReachEnv } from "./environments/ReachEnv.js";
import type { VectorEnv } from "./environments/VectorEnv.js";

/** What the trainer steps: `VectorEnv` (in this thread) or `WorkerVectorEnv` (worker threads). */
export type TrainerEnvironments = Pick<VectorEnv, "count" | "observationSize" | "actionSize" | "start" | "step">;
import type { Exploration } from "./explorations/Exploration.js";

/** What the trainer needs of an agent: `Mpo` in-process, or `WorkerAgent` with the update in a worker thread. */
export interface TrainerAgent {
  readonly updates: number;
  readonly policy: MlpPolicy;
  step(observations: ArrayLike<number>, out: Float64Array): Float64Array;
  stepWithNoise(observations: ArrayLike<number>, noise: ArrayLike<number>, out: Float64Array): Float64Array;
  observe(
    observations: ArrayLike<number>,
    actions: ArrayLike<number>,
    nextObservations: ArrayLike<number>,
    rewards: ArrayLike<number>,
    resets: ArrayLike<number | boolean>,
    terminations: ArrayLike<number | boolean>,
    steps: number,
  ): boolean;
  /** Awaited after each step when present (a learner elsewhere holding the environments back). */
  sync?(): Promise<void>;
}

export interface CurveRow {
  readonly steps: number;
  readonly episodes: number;
  readonly updates: number;
  /** Mean return of the training episodes finished in this epoch (NaN when none). */
  readonly trainReturn: number;
  readonly trainSuccess: number;
  /** Greedy test episodes on fixed targets. */
  readonly testReturn: number;
  readonly testSuccess: number;
  readonly testDistanceM: number;
  /** Share of this epoch's steps on which DEP acted. */
  readonly depShare: number;
  readonly updatesPerSec: number;
  readonly stepsPerSec: number;
  readonly wallSec: number;
  /** With a reward bonus: the epoch's mean intrinsic signal (before α), α at the epoch's end, the bonus model's last loss. */
  readonly intrinsic?: number;
  readonly intrinsicAlpha?: number;
  readonly modelLoss?: number;
}

/**
 * An intrinsic reward added to the task's before the agent sees it (r = R + α·R_int), e.g.
 * src/intrinsic/OnlineBonus.ts. `apply` returns the rewards to learn from.
 */
export interface RewardBonus {
  apply(observations: ArrayLike<number>, actions: ArrayLike<number>, nextObservations: ArrayLike<number>, rewards: ArrayLike<number>, rows: number, step: number): ArrayLike<number>;
  stats(step: number): { readonly lastIntrinsic: number; readonly alpha: number; readonly modelLoss: number };
}

export interface TrainerState {
  steps: number;
  episodes: number;
  epochs: number;
  wallSec: number;
  curve: CurveRow[];
}

export interface TrainerOptions {
  /** Environment steps to reach (over all environments). */
  readonly steps: number;
  readonly epochSteps: number;
  readonly testEpisodes: number;
  readonly testEpisodeEvery: number;
  /** Checkpoint every this many steps (and at the end); 0 for only at the end. */
  readonly saveSteps?: number;
  readonly onEpoch?: (row: CurveRow, state: Readonly<TrainerState>) => void;
  /** Called to write a checkpoint. */
  readonly save?: (state: Readonly<TrainerState>) => void;
  /** Polled once per step; true ends the run after the current step (a checkpoint is written). */
  readonly shouldStop?: () => boolean;
  /** Adds an intrinsic reward to every transition the agent learns from. */
  readonly rewardBonus?: RewardBonus;
}

export class Trainer {
  readonly agent: TrainerAgent;
  readonly exploration: Exploration;
  readonly envs: TrainerEnvironments;
  readonly testEnv: ReachEnv | undefined;
  readonly state: TrainerState;
  readonly #testRng: Uint32Array | undefined;

  constructor(agent: TrainerAgent, exploration: Exploration, envs: TrainerEnvironments, testEnv: ReachEnv | undefined, state?: TrainerState) {
    this.agent = agent;
    this.exploration = exploration;
    this.envs = envs;
    this.testEnv = testEnv;
    this.state = state ?? { steps: 0, episodes: 0, epochs: 0, wallSec: 0, curve: [] };
    // The test targets are the same at every evaluation: the sampler restarts from here.
    this.#testRng = testEnv?.rngState;
  }

  async run(options: TrainerOptions): Promise<TrainerState> {
    const { agent, exploration, envs } = this;
    const st = this.state;
    const E = envs.count;
    const O = envs.observationSize;
    const A = envs.actionSize;
    const actions = new Float64Array(E * A);
    const observations = new Float64Array(E * O);
    const scores = new Float64Array(E);
    const policy = (out: Float64Array): void => {
      agent.step(observations, out);
    };
    const policyWithNoise = (noise: Float64Array, out: Float64Array): void => {
      agent.stepWithNoise(observations, noise, out);
    };
    const sync = agent.sync?.bind(agent);
    let start = envs.start();
    observations.set(start.observations);
    const muscleStates = start.muscleStates;

    let epochStart = performance.now();
    const runStart = performance.now() - st.wallSec * 1000;
    let epochSteps = 0;
    let epochDepSteps = 0;
    let epochUpdates0 = agent.updates;
    let epochReturns = 0;
    let epochSuccesses = 0;
    let epochEpisodes = 0;
    let sinceSave = 0;
    let epochIntrinsic = 0;
    let epochIntrinsicSteps = 0;
    let stopped = false;

    while (st.steps < options.steps) {
      const greedyEpisode = Number.isFinite(options.testEpisodeEvery) && st.episodes % options.testEpisodeEvery === 0;
      const who = exploration.act({ observations, muscleStates, steps: st.steps, greedyEpisode, policy, policyWithNoise }, actions);
      const r = envs.step(actions);
      if (exploration.learns) {
        const bonus = options.rewardBonus;
        const rewards = bonus ? bonus.apply(observations, actions, r.nextObservations, r.rewards, E, st.steps) : r.rewards;
        if (bonus) {
          epochIntrinsic += bonus.stats(st.steps).lastIntrinsic;
          epochIntrinsicSteps++;
        }
        agent.observe(observations, actions, r.nextObservations, rewards, r.resets, r.terminations, st.steps);
      }
      if (sync) await sync();
      observations.set(r.observations);
      st.steps += E;
      epochSteps += E;
      sinceSave += E;
      if (who === "dep") epochDepSteps += E;
      for (let i = 0; i < E; i++) {
        scores[i] += r.rewards[i];
        if (r.resets[i]) {
          epochReturns += scores[i];
          epochSuccesses += r.solved[i];
          epochEpisodes++;
          scores[i] = 0;
          st.episodes++;
        }
      }

      const last = st.steps >= options.steps;
      if (epochSteps >= options.epochSteps || last) {
        const test = this.testEnv ? this.evaluate(options.testEpisodes) : { meanReturn: NaN, success: NaN, distanceM: NaN };
        const now = performance.now();
        const sec = (now - epochStart) / 1000;
        st.epochs++;
        st.wallSec = (now - runStart) / 1000;
        const row: CurveRow = {
          steps: st.steps,
          episodes: st.episodes,
          updates: agent.updates,
          trainReturn: epochEpisodes > 0 ? epochReturns / epochEpisodes : NaN,
          trainSuccess: epochEpisodes > 0 ? epochSuccesses / epochEpisodes : NaN,
          testReturn: test.meanReturn,
          testSuccess: test.success,
          testDistanceM: test.distanceM,
          depShare: epochSteps > 0 ? epochDepSteps / epochSteps : 0,
          updatesPerSec: sec > 0 ? (agent.updates - epochUpdates0) / sec : 0,
          stepsPerSec: sec > 0 ? epochSteps / sec : 0,
          wallSec: st.wallSec,
          ...(options.rewardBonus
            ? {
                intrinsic: epochIntrinsicSteps > 0 ? epochIntrinsic / epochIntrinsicSteps : NaN,
                intrinsicAlpha: options.rewardBonus.stats(st.steps).alpha,
                modelLoss: options.rewardBonus.stats(st.steps).modelLoss,
              }
            : {}),
        };
        epochIntrinsic = 0;
        epochIntrinsicSteps = 0;
        st.curve.push(row);
        options.onEpoch?.(row, st);
        epochSteps = 0;
        epochDepSteps = 0;
        epochReturns = 0;
        epochSuccesses = 0;
        epochEpisodes = 0;
        epochUpdates0 = agent.updates;
        // Let signals and timers through between epochs.
        await new Promise<void>((resolve) => setImmediate(resolve));
        epochStart = performance.now();
      }
      if (options.shouldStop?.()) {
        stopped = true;
        break;
      }
      if (options.save && options.saveSteps && sinceSave >= options.saveSteps && !last) {
        st.wallSec = (performance.now() - runStart) / 1000;
        options.save(st);
        sinceSave = 0;
      }
    }
    st.wallSec = (performance.now() - runStart) / 1000;
    options.save?.(st);
    void stopped;
    return st;
  }

  /** Greedy episodes on the test environment's fixed targets: mean return, success rate, mean final distance. */
  evaluate(episodes: number): { meanReturn: number; success: number; distanceM: number } {
    const env = this.testEnv!;
    if (this.#testRng) env.rngState = this.#testRng;
    const O = env.observationSize;
    const obs = new Float64Array(O);
    const act = new Float64Array(env.actionSize);
    let total = 0;
    let successes = 0;
    let distance = 0;
    for (let e = 0; e < episodes; e++) {
      env.reset(obs);
      for (;;) {
        this.agent.policy.mean(obs, act);
        const r = env.step(act, obs);
        total += r.reward;
        if (r.reset) {
          successes += r.solved ? 1 : 0;
          distance += r.distanceM;
          break;
        }
      }
    }
    return { meanReturn: total / episodes, success: successes / episodes, distanceM: distance / episodes };
  }
}
