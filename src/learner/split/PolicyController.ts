/**
 * The actor half of the actor-learner split: a `Controller` that runs the policy at control rate
 * and records transitions for a learner, on any bridge (the simulated arm or the real one).
 *
 * Each tick: the reach task's observation from the frame; the exploration schedule picks who acts
 * (the same schedules as training: the policy sampling from its Gaussian, DEP, or DEP-RL's
 * switch); the policy runs as a plain TypeScript forward pass (`MlpPolicy`), synchronous and
 * without allocation; the action in [−1, 1] goes through the output mapping to the command. The
 * previous tick's transition (observation, action, reward, next observation, episode boundary) is
 * appended to a preallocated ring that the host drains off the tick (`drainTransitions`).
 *
 * Policy updates: `offer(snapshot)` (called by the host when a learner publishes, between ticks)
 * copies the weights into a spare policy; the next `update` swaps it in, a pointer swap. A
 * learner that stops publishing, crashes or stalls leaves the last policy in place: nothing here
 * waits for it. Before any policy arrives the policy's actions are 0 (DEP acts during
 * pre-training in the DEP modes).
 *
 * Targets change every `episodeSteps` ticks (a new random target from the task), which marks an
 * episode boundary in the transitions.
 */
import type { Controller } from "../../core/controller.js";
import type { SensorFrame } from "../../core/frames.js";
import { Rng } from "../../core/rng.js";
import type { RobotSpec } from "../../core/spec.js";
import { MuscleInputNormalizer } from "../../dep/MuscleInputNormalizer.js";
import { createOutputMapping, type OutputMapping, type OutputMappingKind } from "../../dep/outputMappings.js";
import type { DepParams } from "../../dep/params.js";
import type { ReachTask } from "../environments/ReachTask.js";
import { createExploration } from "../explorations/createExploration.js";
import type { Actor, Exploration, ExplorationMode } from "../explorations/Exploration.js";
import { MlpPolicy, type PolicySnapshot } from "../inference/MlpPolicy.js";
import { TRANSITION_DEP, transitionRowSize } from "./messages.js";

export interface PolicyControllerOptions {
  readonly task: ReachTask;
  readonly mode: ExplorationMode | "greedy";
  readonly depParams: Readonly<DepParams>;
  /** DEP acts alone up to this many ticks in the DEP modes (the learner's steps before batches). */
  readonly preTrainingSteps: number;
  readonly seed: number;
  readonly mapping?: OutputMappingKind;
  /** Transitions the ring holds before the oldest are overwritten (default 10000). */
  readonly ringCapacity?: number;
  /** Stream number written into each transition (which robot or environment this is; default 0). */
  readonly stream?: number;
}

/** A block of transitions, one per row, laid out as in messages.ts (`transitionRowSize`). */
export interface TransitionBlock {
  readonly count: number;
  readonly observationSize: number;
  readonly actionSize: number;
  /** count x transitionRowSize(O, A). */
  readonly data: Float64Array;
}

export class PolicyController implements Controller {
  readonly name = "policy";
  readonly #options: PolicyControllerOptions;
  #spec: RobotSpec | undefined;
  #mapping: OutputMapping | undefined;
  #exploration: Exploration | undefined;
  #depInput: MuscleInputNormalizer | undefined;
  #active: MlpPolicy | undefined;
  #spare: MlpPolicy | undefined;
  #swapPending = false;
  #rng: Rng;
  #obs = new Float64Array(0);
  #prevObs = new Float64Array(0);
  #action = new Float64Array(0);
  #clipped = new Float64Array(0);
  #command = new Float64Array(0);
  #muscleStates = new Float64Array(0);
  readonly target = new Float64Array(2);
  #ticks = 0;
  #episodeTick = 0;
  #ring = new Float64Array(0);
  #rowSize = 0;
  /** Who acted on the last tick (its transition is recorded on the next). */
  #lastActor: Actor = "policy";
  #ringCapacity: number;
  #ringStart = 0;
  #ringCount = 0;
  #dropped = 0;
  #skipped = 0;
  /** Whether the last tick's command was written as this controller made it (see markApplied). */
  #applied = true;
  #policy = (out: Float64Array): void => {
    const p = this.#active;
    if (!p) out.fill(0);
    else if (this.#options.mode === "greedy") p.mean(this.#obs, out);
    else p.sample(this.#obs, this.#rng, out);
  };
  #policyWithNoise = (noise: Float64Array, out: Float64Array): void => {
    const p = this.#active;
    if (!p) return void out.fill(0);
    p.mean(this.#obs, out);
    if (this.#options.mode === "greedy") return;
    const std = p.lastStd;
    for (let j = 0; j < out.length; j++) out[j] += std[j] * noise[j];
  };

  constructor(options: PolicyControllerOptions) {
    this.#options = options;
    this.#rng = new Rng(options.seed + 5);
    this.#ringCapacity = options.ringCapacity ?? 10_000;
  }

  configure(spec: RobotSpec): void {
    this.#options.task.check(spec);
    this.#spec = spec;
    const O = this.#options.task.observationSize(spec);
    const n = spec.muscles.length;
    this.#mapping = createOutputMapping(spec, this.#options.mapping);
    const mode = this.#options.mode === "greedy" ? "rl" : this.#options.mode;
    this.#exploration = createExploration({ mode, depParams: this.#options.depParams, muscles: n, envs: 1, preTrainingSteps: this.#options.preTrainingSteps, seed: this.#options.seed }).exploration;
    this.#depInput = new MuscleInputNormalizer({ n, forceScale: this.#options.depParams.force_scale });
    this.#obs = new Float64Array(O);
    this.#prevObs = new Float64Array(O);
    this.#action = new Float64Array(n);
    this.#clipped = new Float64Array(n);
    this.#command = new Float64Array(n);
    this.#muscleStates = new Float64Array(n);
    this.#rowSize = transitionRowSize(O, n);
    this.#ring = new Float64Array(this.#ringCapacity * this.#rowSize);
    this.#ticks = 0;
    this.#episodeTick = 0;
    this.#options.task.sampleTarget(spec, this.#rng, this.target);
  }

  get observationSize(): number {
    return this.#obs.length;
  }
  get actionSize(): number {
    return this.#action.length;
  }
  /** Version of the policy in use (−1 before any). */
  get policyVersion(): number {
    return this.#active?.version ?? -1;
  }
  /** Version of the newest policy taken: the one in use, or the one the next tick swaps in (−1 before any). */
  get offeredVersion(): number {
    return this.#swapPending ? this.#spare!.version : this.policyVersion;
  }
  /** Transitions lost because the ring was full (the host did not drain in time). */
  /** Transitions not recorded because the command written was not this controller's (e-stop, teleop, a ramp). */
  get skippedTransitions(): number {
    return this.#skipped;
  }

  /**
   * Says whether the command written on the last tick was this controller's own (called after
   * the write, before the next `update`). A tick that was not is not learned from: its transition
   * is skipped, and the last transition before such a tick is marked as an episode end, so that
   * no n-step return runs across the gap. Call before draining.
   */
  markApplied(applied: boolean): void {
    if (!applied && this.#applied && this.#ringCount > 0) {
      const last = (this.#ringStart + this.#ringCount - 1) % this.#ringCapacity;
      const O = this.#obs.length;
      const A = this.#action.length;
      this.#ring[last * this.#rowSize + 2 * O + A + 1] = 1;
    }
    this.#applied = applied;
  }

  get droppedTransitions(): number {
    return this.#dropped;
  }

  /**
   * A new policy from the learner; swapped in at the start of the next tick. Call between ticks
   * (from the host's event loop). Snapshots older than the one in use are ignored; a snapshot that
   * does not fit the controller's sizes throws RangeError and changes nothing.
   */
  offer(snapshot: PolicySnapshot): void {
    if (this.#active && snapshot.version <= this.#active.version) return;
    if (!this.#spare || !this.#spare.fits(snapshot)) {
      if (snapshot.observationSize !== this.#obs.length || snapshot.actionSize !== this.#action.length) {
        throw new RangeError(`policy snapshot has ${snapshot.observationSize} observations and ${snapshot.actionSize} actions; this controller has ${this.#obs.length} and ${this.#action.length}`);
      }
      this.#spare = MlpPolicy.from(snapshot);
    } else {
      this.#spare.load(snapshot);
    }
    this.#swapPending = true;
  }

  update(frame: SensorFrame, _dtSec: number): Float64Array {
    const spec = this.#spec;
    if (!spec) throw new Error("PolicyController.update: call configure(spec) first");
    if (this.#swapPending) {
      const old = this.#active;
      this.#active = this.#spare;
      this.#spare = old;
      this.#swapPending = false;
    }
    const task = this.#options.task;
    task.observe(spec, frame, this.target, this.#obs);
    if (this.#ticks > 0) {
      const r = task.reward(frame, this.target);
      const boundary = this.#episodeTick >= task.episodeSteps;
      if (this.#applied) this.#record(r.reward, boundary);
      else this.#skipped++;
      if (boundary) {
        task.sampleTarget(spec, this.#rng, this.target);
        this.#episodeTick = 0;
        task.observe(spec, frame, this.target, this.#obs);
      }
    }
    this.#depInput!.normalize(frame.muscleLengthM, frame.muscleForceN, this.#muscleStates);
    this.#lastActor = this.#exploration!.act(
      { observations: this.#obs, muscleStates: this.#muscleStates, steps: this.#ticks, greedyEpisode: this.#options.mode === "greedy", policy: this.#policy, policyWithNoise: this.#policyWithNoise },
      this.#action,
    );
    const y = this.#clipped;
    for (let i = 0; i < y.length; i++) {
      const a = this.#action[i];
      y[i] = a > 1 ? 1 : a < -1 ? -1 : a;
    }
    this.#prevObs.set(this.#obs);
    this.#ticks++;
    this.#episodeTick++;
    return this.#mapping!.map(y, this.#command);
  }

  #record(reward: number, reset: boolean): void {
    const O = this.#obs.length;
    const A = this.#action.length;
    let slot: number;
    if (this.#ringCount < this.#ringCapacity) {
      slot = (this.#ringStart + this.#ringCount) % this.#ringCapacity;
      this.#ringCount++;
    } else {
      slot = this.#ringStart;
      this.#ringStart = (this.#ringStart + 1) % this.#ringCapacity;
      this.#dropped++;
    }
    const base = slot * this.#rowSize;
    const ring = this.#ring;
    ring.set(this.#prevObs, base);
    ring.set(this.#action, base + O);
    ring[base + O + A] = reward;
    ring.set(this.#obs, base + O + A + 1);
    ring[base + 2 * O + A + 1] = reset ? 1 : 0;
    ring[base + 2 * O + A + 2] = 0;
    ring[base + 2 * O + A + 3] = this.#options.stream ?? 0;
    ring[base + 2 * O + A + 4] = this.#lastActor === "dep" ? TRANSITION_DEP : 0;
  }

  /** Takes every transition recorded since the last call (a copy the caller owns). Call off the tick. */
  drainTransitions(): TransitionBlock {
    const count = this.#ringCount;
    const data = new Float64Array(count * this.#rowSize);
    for (let k = 0; k < count; k++) {
      const slot = (this.#ringStart + k) % this.#ringCapacity;
      data.set(this.#ring.subarray(slot * this.#rowSize, (slot + 1) * this.#rowSize), k * this.#rowSize);
    }
    this.#ringStart = 0;
    this.#ringCount = 0;
    return { count, observationSize: this.#obs.length, actionSize: this.#action.length, data };
  }
}
