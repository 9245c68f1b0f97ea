/**
 * The main job as a function: a MuJoCo model explored by a controller through the control loop,
 * with joint-space coverage measured. The CLI (`tendon sim`), the tests and the benchmark call it.
 */
import type { Controller } from "../core/controller.js";
import type { ProblemEvent } from "../core/events.js";
import type { ControlLoop, LoopResult } from "../loop/ControlLoop.js";
import { NodeTimer, type TimingMode } from "../loop/ticks.js";
import type { LoopPlugin } from "../loop/extension.js";
import { UniformNoiseController } from "../dep/UniformNoiseController.js";
import { DepController, type DepControllerOptions } from "../dep/DepController.js";
import { runObservedLoop, type ProblemCounts } from "./runLoop.js";
import { ModelContentError, MujocoBridge } from "../../sim/MujocoBridge.js";
import { resolveModelSource, type ModelSource } from "../../sim/modelSource.js";
import { defaultOutputMapping } from "../dep/outputMappings.js";
import { modelSha256, TENDON_VERSION } from "./runIdentity.js";
import type { RunIdentity } from "../observability/runMetadata.js";

export type ExplorationKind = "dep" | "noise";

export interface SimRunOptions {
  /** Built-in model name, MJCF file or model folder; or a resolved source. */
  readonly model: string | ModelSource;
  readonly explorer: ExplorationKind;
  readonly dep?: DepControllerOptions;
  /** Simulated seconds to run; Infinity: until the loop is stopped. */
  readonly durationSec: number;
  readonly seed: number;
  /** Control rate (Hz); the model's physics timestep sets the frame skip. Default 50 Hz. */
  readonly rateHz?: number;
  /** Physics steps per control tick; overrides `rateHz`. */
  readonly frameSkip?: number;
  readonly realtime?: boolean;
  /** How the real-time timer waits for a tick (see NodeTimer): `precise` (default) or `low-cpu`. */
  readonly timing?: TimingMode;
  readonly coverageBins?: number;
  /** Called once the loop exists (progress display, stop on a signal). */
  readonly onLoop?: (loop: ControlLoop, totalTicks: number) => void;
  /** Loop plugins: the safety layer of `--serve`, the observers (see src/loop/extension.ts). */
  readonly plugins?: readonly LoopPlugin[];
  /** Called with what the run runs once the model is loaded and the controller built, before the first tick (the recording's metadata). */
  readonly onStart?: (identity: RunIdentity) => void;
}

export interface SimRunResult {
  readonly model: string;
  readonly muscles: readonly string[];
  /** The actuators among `muscles` that are motors, not muscles (see `MuscleSpec.actuator`). */
  readonly motors?: readonly string[];
  readonly joints: readonly string[];
  readonly explorer: ExplorationKind;
  readonly controllerName: string;
  readonly rateHz: number;
  readonly frameSkip: number;
  readonly timestepSec: number;
  readonly loop: LoopResult;
  readonly coverage: number;
  readonly coverageBins: number;
  /** The first problems reported (the first 20, and the first of every kind), for the summary. */
  readonly problems: readonly ProblemEvent[];
  /** Every problem, counted by code. */
  readonly problemCounts: ProblemCounts;
  /** What ran: version, model hash, DEP's preset, parameters and mapping, seed, rate, frame skip. */
  readonly identity: RunIdentity;
}

export const DEFAULT_RATE_HZ = 50;

export async function runSim(options: SimRunOptions): Promise<SimRunResult> {
  const source = typeof options.model === "string" ? resolveModelSource(options.model) : options.model;
  const bridge = new MujocoBridge({
    source,
    controlRateHz: options.rateHz ?? DEFAULT_RATE_HZ,
    frameSkip: options.frameSkip,
    seed: options.seed,
  });
  try {
    await bridge.configure();
    const spec = bridge.spec;
    if (spec.joints.length === 0) throw new ModelContentError(`model '${spec.name}' has no hinge or slide joints to explore`);
    const controller: Controller =
      options.explorer === "dep" ? new DepController(options.dep ?? {}) : new UniformNoiseController({ seed: options.seed });
    const periodSec = bridge.controlPeriodSec;
    const identity: RunIdentity = {
      tendonVersion: TENDON_VERSION,
      command: "sim",
      model: spec.name,
      modelSha256: modelSha256(source),
      controller: controller.name,
      ...(controller instanceof DepController
        ? { preset: options.dep?.preset ?? "default", mapping: options.dep?.outputMapping ?? defaultOutputMapping(spec), params: controller.params }
        : {}),
      seed: options.seed,
      rateHz: 1 / periodSec,
      frameSkip: bridge.frameSkip,
      timestepSec: bridge.timestepSec,
    };
    options.onStart?.(identity);
    const totalTicks = Math.max(1, Math.round(options.durationSec / periodSec));
    const run = await runObservedLoop({
      bridge,
      controller,
      mode: options.realtime ? "realtime" : "lockstep",
      periodSec,
      totalTicks,
      timer: options.realtime ? NodeTimer.forMode(options.timing) : undefined,
      plugins: options.plugins,
      coverageBins: options.coverageBins,
      onLoop: (loop) => options.onLoop?.(loop, totalTicks),
    });
    return {
      model: spec.name,
      muscles: spec.muscles.map((m) => m.name),
      motors: spec.muscles.filter((m) => m.actuator === "motor").map((m) => m.name),
      joints: spec.joints.map((j) => j.name),
      explorer: options.explorer,
      controllerName: controller.name,
      rateHz: 1 / periodSec,
      frameSkip: bridge.frameSkip,
      timestepSec: bridge.timestepSec,
      loop: run.loop,
      // The model has joints (checked above), so coverage was measured.
      coverage: run.coverage ?? 0,
      coverageBins: run.coverageBins,
      problems: run.problems,
      problemCounts: run.problemCounts,
      identity,
    };
  } finally {
    await bridge.shutdown();
  }
}
