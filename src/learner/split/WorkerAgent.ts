/**
 * The training loop's agent with MPO's update in a worker thread: acting (sampling from the
 * policy, the greedy mean) stays here as the plain TypeScript forward pass, transitions go to the
 * learner worker in blocks (the transition rows of messages.ts, one stream per environment), and
 * each policy the learner publishes is loaded between steps. The learner sees the same
 * transitions in the same order as the in-process `Mpo` and runs the same update schedule
 * (`batchIterations` every `stepsBetweenBatches` steps); the acting policy lags it by at most
 * `maxLagSteps` environment steps: `sync()` holds the environments back when the learner falls
 * further behind, so the ratio of updates to steps is the configured one at any speed.
 *
 * With an intrinsic reward (`learn.intrinsic`), the bonus and its world model live in the learner
 * worker, which relabels the rewards; every model version it publishes is swapped into `models`
 * (a ModelHolder), and `bonusView` gives the trainer the bonus's figures for its progress lines.
 */
import { Rng } from "../../core/rng.js";
import { observationLayout, type BonusStats } from "../../intrinsic/OnlineBonus.js";
import { MlpPolicy } from "../inference/MlpPolicy.js";
import type { LearnConfig } from "../runLearn.js";
import type { BackendChoice } from "../tf/backend.js";
import { transitionOffsets, transitionRowSize } from "./messages.js";
import { ModelHolder } from "./ModelHolder.js";
import { WorkerLearner, type LearnerStatus } from "./WorkerLearner.js";

/**
 * The trainer's view of a bonus that runs in the learner worker: `apply` hands the rewards back as
 * they are (the worker adds the bonus), `stats` are the worker's last figures with α of this step.
 */
export class RemoteBonusView {
  readonly #learner: WorkerLearner;
  readonly #alpha: number;
  readonly #decaySteps: number;

  constructor(learner: WorkerLearner, alpha: number, decaySteps: number) {
    this.#learner = learner;
    this.#alpha = alpha;
    this.#decaySteps = decaySteps;
  }

  apply(_o: ArrayLike<number>, _a: ArrayLike<number>, _n: ArrayLike<number>, rewards: ArrayLike<number>): ArrayLike<number> {
    return rewards;
  }

  stats(step: number): BonusStats {
    const b = this.#learner.bonus;
    const alpha = this.#decaySteps > 0 ? this.#alpha * Math.max(0, 1 - step / this.#decaySteps) : this.#alpha;
    return {
      lastIntrinsic: b?.lastIntrinsic ?? 0,
      alpha,
      modelLoss: b?.modelLoss ?? NaN,
      holdoutLoss: b?.holdoutLoss ?? NaN,
      disagreement: b?.disagreement ?? NaN,
      modelUpdates: b?.modelUpdates ?? 0,
      modelVersion: b?.modelVersion ?? 0,
    };
  }
}

export interface WorkerAgentOptions {
  readonly learn: LearnConfig;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly workers: number;
  readonly backend: BackendChoice;
  /** Environment steps per block sent (default 50 per environment). */
  readonly blockSteps?: number;
  /** The environments wait when more than this many steps are not yet stored by the learner (default 2 rounds). */
  readonly maxLagSteps?: number;
}

export class WorkerAgent {
  readonly policy: MlpPolicy;
  /** The world model of the intrinsic reward, as the learner last published it (undefined without one). */
  readonly models: ModelHolder | undefined;
  readonly bonusView: RemoteBonusView | undefined;
  readonly #learner: WorkerLearner;
  readonly #rng: Rng;
  readonly #O: number;
  readonly #A: number;
  readonly #W: number;
  readonly #row: number;
  readonly #blockRows: number;
  readonly #maxLag: number;
  #block: Float64Array;
  #rows = 0;
  #sent = 0;
  #status: LearnerStatus = "starting";
  #detail = "";

  constructor(options: WorkerAgentOptions) {
    const { learn, observationSize: O, actionSize: A, workers: W } = options;
    this.#O = O;
    this.#A = A;
    this.#W = W;
    this.#row = transitionRowSize(O, A);
    this.#blockRows = (options.blockSteps ?? 50) * W;
    this.#maxLag = options.maxLagSteps ?? 2 * Math.max(learn.stepsBetweenBatches, 50 * W);
    this.#block = new Float64Array(this.#blockRows * this.#row);
    this.#rng = new Rng(learn.seed + 2);
    this.policy = new MlpPolicy(O, A, learn.hiddenSizes);
    const models = learn.intrinsic !== "none" ? new ModelHolder(observationLayout) : undefined;
    this.models = models;
    this.#learner = new WorkerLearner({
      config: { observationSize: O, actionSize: A, learn, backend: options.backend, streams: W },
      onPolicy: (s) => this.policy.load(s),
      onModel: (m) => models?.offer(m.state),
      onStatus: (status, detail) => {
        this.#status = status;
        this.#detail = detail;
      },
      stallAfterSec: 120,
    });
    this.bonusView = models ? new RemoteBonusView(this.#learner, learn.alpha, learn.alphaDecaySteps) : undefined;
  }

  /** Waits for the learner to start and publish its first policy; throws when it could not start. */
  async start(): Promise<string> {
    const status = await this.#learner.ready;
    if (status !== "running") throw new Error(`the learner worker did not start: ${this.#detail || status}`);
    while (this.#learner.progress.policies === 0) await new Promise((r) => setTimeout(r, 2));
    return this.#learner.progress.backend;
  }

  get updates(): number {
    return this.#learner.progress.updates;
  }

  /** Environment steps the learner has stored. */
  get learnerSteps(): number {
    return this.#learner.progress.steps;
  }

  step(observations: ArrayLike<number>, out: Float64Array): Float64Array {
    for (let w = 0; w < this.#W; w++) this.policy.sample(observations, this.#rng, out, w * this.#O, w * this.#A);
    return out;
  }

  stepWithNoise(observations: ArrayLike<number>, noise: ArrayLike<number>, out: Float64Array): Float64Array {
    const A = this.#A;
    for (let w = 0; w < this.#W; w++) {
      this.policy.mean(observations, out, w * this.#O, w * A);
      const std = this.policy.lastStd;
      for (let j = 0; j < A; j++) out[w * A + j] += std[j] * noise[w * A + j];
    }
    return out;
  }

  testStep(observations: ArrayLike<number>, out: Float64Array): Float64Array {
    for (let w = 0; w < this.#W; w++) this.policy.mean(observations, out, w * this.#O, w * this.#A);
    return out;
  }

  /** Queues one transition per environment; sends a block when full. Never updates here: returns false. */
  observe(
    observations: ArrayLike<number>,
    actions: ArrayLike<number>,
    nextObservations: ArrayLike<number>,
    rewards: ArrayLike<number>,
    resets: ArrayLike<number | boolean>,
    terminations: ArrayLike<number | boolean>,
    _steps: number,
  ): boolean {
    if (this.#status === "crashed") throw new Error(`the learner worker failed: ${this.#detail}`);
    const O = this.#O;
    const A = this.#A;
    const at = transitionOffsets(O, A);
    const b = this.#block;
    for (let w = 0; w < this.#W; w++) {
      const base = this.#rows * this.#row;
      for (let i = 0; i < O; i++) b[base + i] = observations[w * O + i];
      for (let j = 0; j < A; j++) b[base + at.action + j] = actions[w * A + j];
      b[base + at.reward] = rewards[w];
      for (let i = 0; i < O; i++) b[base + at.next + i] = nextObservations[w * O + i];
      b[base + at.reset] = resets[w] ? 1 : 0;
      b[base + at.terminated] = terminations[w] ? 1 : 0;
      b[base + at.stream] = w;
      b[base + at.flags] = 0;
      this.#rows++;
    }
    if (this.#rows >= this.#blockRows) this.flush();
    return false;
  }

  /** Sends the rows queued so far. */
  flush(): void {
    if (this.#rows === 0) return;
    const data = this.#rows === this.#blockRows ? this.#block : this.#block.slice(0, this.#rows * this.#row);
    this.#learner.push(this.#rows, data);
    this.#sent += this.#rows;
    this.#rows = 0;
    this.#block = new Float64Array(this.#blockRows * this.#row);
  }

  /** Resolves once the learner is at most `maxLagSteps` behind the environments. */
  async sync(): Promise<void> {
    while (this.#sent - this.#learner.progress.steps > this.#maxLag) {
      if (this.#status === "crashed" || this.#status === "stopped") throw new Error(`the learner worker failed: ${this.#detail || this.#status}`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Sends what is queued, waits until the learner has stored it all, then stops it. */
  async close(): Promise<void> {
    this.flush();
    while (this.#sent > this.#learner.progress.steps && this.#status === "running") await new Promise((r) => setTimeout(r, 2));
    await this.#learner.stop();
    this.models?.dispose();
  }
}
