/**
 * One simulated arm doing the reach task: a `MujocoBridge` stepped directly (no control loop:
 * training runs as fast as the physics allows), the task's observation and reward, the
 * action-to-command mapping shared by DEP and the policy, and the muscle-state input DEP reads.
 *
 * Actions are in [−1, 1] per muscle (values outside are clipped) and go through the same output
 * mapping as DEP's (MyoSuite's sigmoid for activation-controlled muscles by default), so DEP's
 * output is a valid action and the replay holds one kind of action whoever acted.
 */
import { createMuscleCommand, createSensorFrame, type MuscleCommand, type SensorFrame } from "../../core/frames.js";
import { Rng } from "../../core/rng.js";
import type { RobotSpec } from "../../core/spec.js";
import { MuscleInputNormalizer } from "../../dep/MuscleInputNormalizer.js";
import { createOutputMapping, type OutputMapping, type OutputMappingKind } from "../../dep/outputMappings.js";
import { MujocoBridge } from "../../../sim/MujocoBridge.js";
import { resolveModelSource, type ModelSource } from "../../../sim/modelSource.js";
import { ReachTask, type ReachStep } from "./ReachTask.js";

export interface ReachEnvOptions {
  /** Built-in model name, MJCF file or folder (default "arm2j6m"). */
  readonly model?: string | ModelSource;
  readonly task: ReachTask;
  readonly seed: number;
  /** Control rate (Hz), default 50. */
  readonly rateHz?: number;
  readonly mapping?: OutputMappingKind;
  /** Weight of the force term in DEP's input (the DEP parameter force_scale). */
  readonly depForceScale?: number;
}

export interface EnvStep extends ReachStep {
  /** The episode ended with this step (time limit). */
  readonly reset: boolean;
  /** A true end (never for reach: episodes end on time only). */
  readonly terminated: boolean;
}

/** What a checkpoint keeps of an environment (see `ReachEnv.episodeStartState`). */
export interface EpisodeStartState {
  readonly rng: Uint32Array;
  readonly poseRng: Uint32Array;
  readonly lengthMin: Float64Array;
  readonly lengthMax: Float64Array;
  readonly forceMin: Float64Array;
  readonly forceMax: Float64Array;
}

export class ReachEnv {
  readonly task: ReachTask;
  readonly #bridge: MujocoBridge;
  readonly #rng: Rng;
  readonly #options: ReachEnvOptions;
  #spec: RobotSpec | undefined;
  #frame: SensorFrame | undefined;
  #command: MuscleCommand | undefined;
  #mapping: OutputMapping | undefined;
  #depInput: MuscleInputNormalizer | undefined;
  #clipped = new Float64Array(0);
  readonly target = new Float64Array(2);
  #t = 0;
  #periodSec = 0.02;
  /** The target sampler's state when the current episode started (before its target was drawn). */
  #rngAtReset: Uint32Array | undefined;
  /** The reset pose noise generator's state at the same moment. */
  #poseRngAtReset: Uint32Array | undefined;

  private constructor(options: ReachEnvOptions) {
    this.#options = options;
    this.task = options.task;
    this.#rng = new Rng(options.seed * 7919 + 17);
    const source = typeof options.model === "string" || options.model === undefined ? resolveModelSource(options.model ?? "arm2j6m") : options.model;
    this.#bridge = new MujocoBridge({ source, controlRateHz: options.rateHz ?? 50, seed: options.seed });
  }

  static async create(options: ReachEnvOptions): Promise<ReachEnv> {
    const env = new ReachEnv(options);
    try {
      await env.#bridge.configure();
      const spec = env.#bridge.spec;
      options.task.check(spec);
      env.#spec = spec;
      env.#frame = createSensorFrame(spec);
      env.#command = createMuscleCommand(spec);
      env.#mapping = createOutputMapping(spec, options.mapping);
      env.#clipped = new Float64Array(spec.muscles.length);
      env.#depInput = new MuscleInputNormalizer({ n: spec.muscles.length, forceScale: options.depForceScale ?? 0 });
      env.#periodSec = env.#bridge.controlPeriodSec;
      await env.#bridge.activate();
    } catch (err) {
      await env.#bridge.shutdown();
      throw err;
    }
    return env;
  }

  get spec(): RobotSpec {
    return this.#spec!;
  }
  get observationSize(): number {
    return this.task.observationSize(this.spec);
  }
  get actionSize(): number {
    return this.spec.muscles.length;
  }
  get controlPeriodSec(): number {
    return this.#periodSec;
  }
  /** The latest sensor frame (live: overwritten by the next step). */
  get frame(): SensorFrame {
    return this.#frame!;
  }

  /** State of the target sampler and of the reset pose noise (4 + 4 words), for checkpoints and repeatable tests. */
  get rngState(): Uint32Array {
    const s = new Uint32Array(8);
    s.set(this.#rng.getState());
    s.set(this.#bridge.rngState, 4);
    return s;
  }
  set rngState(state: Uint32Array) {
    this.#rng.setState(state.subarray(0, 4));
    // Older checkpoints hold the target sampler's 4 words only.
    if (state.length >= 8) this.#bridge.rngState = state.subarray(4, 8);
  }

  /** Starts an episode: arm to its start pose, a new target; writes the observation. */
  reset(observation: Float64Array, offset = 0): void {
    this.#rngAtReset = this.#rng.getState();
    this.#poseRngAtReset = this.#bridge.rngState;
    this.#bridge.reset();
    this.task.sampleTarget(this.spec, this.#rng, this.target);
    this.#t = 0;
    this.#bridge.read(0, this.#periodSec, this.#frame!);
    this.task.observe(this.spec, this.#frame!, this.target, observation, offset);
  }

  /** Applies `action` (from `offset`), advances one control period, writes the next observation. */
  step(action: ArrayLike<number>, observation: Float64Array, actionOffset = 0, obsOffset = 0): EnvStep {
    const n = this.actionSize;
    const y = this.#clipped;
    for (let i = 0; i < n; i++) {
      const a = action[actionOffset + i];
      y[i] = a > 1 ? 1 : a < -1 ? -1 : a === a ? a : 0;
    }
    const command = this.#command!;
    this.#mapping!.map(y, command.values);
    this.#bridge.write(0, this.#periodSec, command);
    this.#bridge.advance(this.#periodSec);
    this.#t++;
    this.#bridge.read(this.#t * this.#periodSec, this.#periodSec, this.#frame!);
    this.task.observe(this.spec, this.#frame!, this.target, observation, obsOffset);
    const r = this.task.reward(this.#frame!, this.target);
    return { ...r, reset: this.#t >= this.task.episodeSteps, terminated: false };
  }

  /** Steps taken in the current episode. */
  get episodeStep(): number {
    return this.#t;
  }

  /**
   * What a checkpoint keeps of this environment: the target sampler as it was when the current
   * episode started and DEP's running muscle ranges. Restored into a new environment
   * (`restoreEpisodeStart`), the next `reset` starts the same episode with the same target, so a run
   * checkpointed at an episode boundary continues as if never stopped.
   */
  episodeStartState(): EpisodeStartState {
    return { rng: (this.#rngAtReset ?? this.#rng.getState()).slice(), poseRng: (this.#poseRngAtReset ?? this.#bridge.rngState).slice(), ...this.#depInput!.ranges() };
  }

  restoreEpisodeStart(state: EpisodeStartState): void {
    this.#rng.setState(state.rng);
    this.#bridge.rngState = state.poseRng;
    this.#depInput!.setRanges(state);
  }

  /** DEP's input for the current frame (running length/force ranges, never reset) into `out` at `offset`. */
  muscleStates(out: Float64Array, offset = 0): void {
    const n = this.actionSize;
    const f = this.#frame!;
    this.#depInput!.normalize(f.muscleLengthM, f.muscleForceN, out.subarray(offset, offset + n));
  }

  async close(): Promise<void> {
    await this.#bridge.shutdown();
  }
}
