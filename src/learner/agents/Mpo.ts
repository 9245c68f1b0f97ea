/**
 * MPO agent, as TonicRL's `MPO`, built from parts that can be swapped: the model (actor, critic,
 * targets, observation normalizer), the replay, the actor updater and the critic updater, each
 * with the reference's defaults, then `initialize(spaces, seed)`.
 *
 * Acting (`step`, `testStep`) runs the actor's plain TypeScript copy (`MlpPolicy`), refreshed
 * after every round of updates, so choosing actions never touches TensorFlow.js. Learning
 * (`observe`) stores each transition, records the observation for the normalizer and, when the
 * replay says a round is due, runs `batchIterations` critic-then-actor updates, each followed by
 * the Polyak update of the targets, and then folds the recorded observations into the normalizer.
 */
import { Rng } from "../../core/rng.js";
import { MlpPolicy, type PolicySnapshot } from "../inference/MlpPolicy.js";
import { ActorCritic, type ActorCriticOptions } from "../models/ActorCritic.js";
import { ReplayBuffer } from "../replays/ReplayBuffer.js";
import { ExpectedSarsa, type CriticInfo } from "../updaters/ExpectedSarsa.js";
import { MaximumAPosteriori, type ActorInfo } from "../updaters/MaximumAPosteriori.js";

export interface MpoParts {
  /** Model options or a factory (default: 2 x 256 ReLU actor and critic, std in [1e-4, 1], Polyak 0.005). */
  readonly model?: ActorCriticOptions | ((observationSize: number, actionSize: number, seed: number) => ActorCritic);
  /** Default: TonicRL's MPO replay (1e6 transitions, 5-step returns, 50 batches of 100 every 50 steps after 1e4). */
  readonly replay?: ReplayBuffer;
  readonly actorUpdater?: MaximumAPosteriori;
  readonly criticUpdater?: ExpectedSarsa;
}

export interface MpoSpaces {
  readonly observationSize: number;
  readonly actionSize: number;
  /** Environments stepped together (transitions arrive this many at a time). */
  readonly workers: number;
}

export interface UpdateInfo {
  readonly critic: CriticInfo;
  readonly actor: ActorInfo;
}

export class Mpo {
  readonly replay: ReplayBuffer;
  readonly actorUpdater: MaximumAPosteriori;
  readonly criticUpdater: ExpectedSarsa;
  readonly #modelPart: MpoParts["model"];
  #model: ActorCritic | undefined;
  #policy: MlpPolicy | undefined;
  #spaces: MpoSpaces | undefined;
  #rng = new Rng(0);
  #updaterRng = new Rng(0);
  #updates = 0;
  #version = 0;
  #lastInfo: UpdateInfo | undefined;
  #obsScratch = new Float32Array(0);
  #nextScratch = new Float32Array(0);

  constructor(parts: MpoParts = {}) {
    this.#modelPart = parts.model;
    this.replay = parts.replay ?? new ReplayBuffer({ returnSteps: 5 });
    this.actorUpdater = parts.actorUpdater ?? new MaximumAPosteriori();
    this.criticUpdater = parts.criticUpdater ?? new ExpectedSarsa();
  }

  initialize(spaces: MpoSpaces, seed: number): void {
    this.#spaces = spaces;
    const part = this.#modelPart;
    this.#model =
      typeof part === "function" ? part(spaces.observationSize, spaces.actionSize, seed) : new ActorCritic(spaces.observationSize, spaces.actionSize, seed, part);
    this.replay.initialize(spaces.workers, spaces.observationSize, spaces.actionSize, seed + 1);
    this.#rng = new Rng(seed + 2);
    this.#updaterRng = new Rng(seed + 3);
    this.criticUpdater.initialize(this.#model, this.#updaterRng);
    this.actorUpdater.initialize(this.#model, this.#updaterRng);
    const b = this.replay.batchSize;
    this.#obsScratch = new Float32Array(b * spaces.observationSize);
    this.#nextScratch = new Float32Array(b * spaces.observationSize);
    this.#policy = new MlpPolicy(spaces.observationSize, spaces.actionSize, this.#model.actorSizes);
    this.#policy.load(this.snapshot());
  }

  get model(): ActorCritic {
    if (!this.#model) throw new Error("Mpo: call initialize first");
    return this.#model;
  }

  get spaces(): MpoSpaces {
    if (!this.#spaces) throw new Error("Mpo: call initialize first");
    return this.#spaces;
  }

  /** Gradient updates done (critic + actor pairs). */
  get updates(): number {
    return this.#updates;
  }

  /** Version of the acting policy: the number of update rounds so far. */
  get version(): number {
    return this.#version;
  }

  get lastInfo(): UpdateInfo | undefined {
    return this.#lastInfo;
  }

  /** The acting policy (TypeScript forward pass, current weights). */
  get policy(): MlpPolicy {
    if (!this.#policy) throw new Error("Mpo: call initialize first");
    return this.#policy;
  }

  /** Exploration actions for every worker, sampled from the policy: `observations` W x O → `out` W x A. */
  step(observations: ArrayLike<number>, out: Float64Array): Float64Array {
    const { observationSize: O, actionSize: A, workers } = this.spaces;
    for (let w = 0; w < workers; w++) this.policy.sample(observations, this.#rng, out, w * O, w * A);
    return out;
  }

  /** Actions mean + std·noise for every worker, with the caller's standard-normal `noise` (W x A). */
  stepWithNoise(observations: ArrayLike<number>, noise: ArrayLike<number>, out: Float64Array): Float64Array {
    const { observationSize: O, actionSize: A, workers } = this.spaces;
    const policy = this.policy;
    for (let w = 0; w < workers; w++) {
      policy.mean(observations, out, w * O, w * A);
      const std = policy.lastStd;
      for (let j = 0; j < A; j++) out[w * A + j] += std[j] * noise[w * A + j];
    }
    return out;
  }

  /** Greedy actions (the policy's mean) for every worker. */
  testStep(observations: ArrayLike<number>, out: Float64Array): Float64Array {
    const { observationSize: O, actionSize: A, workers } = this.spaces;
    for (let w = 0; w < workers; w++) this.policy.mean(observations, out, w * O, w * A);
    return out;
  }

  /**
   * One transition per worker, with the actions actually applied (the policy's or DEP's).
   * `steps` is the environment step count before this step. Runs a round of updates when due;
   * returns true when it did.
   */
  observe(
    observations: ArrayLike<number>,
    actions: ArrayLike<number>,
    nextObservations: ArrayLike<number>,
    rewards: ArrayLike<number>,
    resets: ArrayLike<number | boolean>,
    terminations: ArrayLike<number | boolean>,
    steps: number,
  ): boolean {
    this.replay.store(observations, actions, nextObservations, rewards, resets, terminations);
    this.model.normalizer.record(observations, this.spaces.workers);
    if (!this.replay.ready(steps)) return false;
    this.updateRound();
    return true;
  }

  /** One round: `batchIterations` updates from the replay, then the normalizer and the acting policy are refreshed. */
  updateRound(): void {
    const model = this.model;
    const normalizer = model.normalizer;
    for (let i = 0; i < this.replay.batchIterations; i++) {
      const batch = this.replay.sample();
      normalizer.normalize(batch.observations, this.#obsScratch, batch.size);
      normalizer.normalize(batch.nextObservations, this.#nextScratch, batch.size);
      const critic = this.criticUpdater.update({ ...batch, observations: this.#obsScratch, nextObservations: this.#nextScratch });
      const actor = this.actorUpdater.update(this.#obsScratch, batch.size);
      model.updateTargets();
      this.#lastInfo = { critic, actor };
      this.#updates++;
    }
    normalizer.update();
    this.#version++;
    this.policy.load(this.snapshot());
  }

  /** A copy of the actor's weights and normalizer, for a controller's `MlpPolicy`. */
  snapshot(): PolicySnapshot {
    const model = this.model;
    const layers = model.actorLayers;
    return {
      version: this.#version,
      observationSize: model.observationSize,
      actionSize: model.actionSize,
      hiddenSizes: [...model.actorSizes],
      kernels: layers.map((l) => l.kernel.dataSync() as Float32Array),
      biases: layers.map((l) => l.bias.dataSync() as Float32Array),
      normalizerMean: model.normalizer.mean.slice(),
      normalizerStd: model.normalizer.std.slice(),
      normalizerClip: model.normalizer.clip,
      stdMin: model.stdMin,
      stdMax: model.stdMax,
    };
  }

  /** Counters and random state, for checkpoints. */
  counters(): { updates: number; version: number; rng: Uint32Array; updaterRng: Uint32Array } {
    return { updates: this.#updates, version: this.#version, rng: this.#rng.getState(), updaterRng: this.#updaterRng.getState() };
  }

  loadCounters(c: { updates: number; version: number; rng: ArrayLike<number>; updaterRng: ArrayLike<number> }): void {
    this.#updates = c.updates;
    this.#version = c.version;
    this.#rng.setState(c.rng);
    this.#updaterRng.setState(c.updaterRng);
    this.policy.load(this.snapshot());
  }

  dispose(): void {
    this.actorUpdater.dispose();
    this.criticUpdater.dispose();
    this.#model?.dispose();
  }
}
