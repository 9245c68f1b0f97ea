/**
 * The main job on muscle boards: DEP drives real (or simulated) boards through the same pipeline
 * as `runSim` (ControlLoop, limits, DepController), in real time, with output mapping "linear"
 * over each muscle's command range. Joint-space coverage is measured when the boards report joint
 * sensors. The CLI (`tendon hw`), the tests and the benchmark call it.
 */
import type { ProblemEvent } from "../core/events.js";
import { DepController, type DepControllerOptions } from "../dep/DepController.js";
import type { ControlLoop, LoopResult } from "../loop/ControlLoop.js";
import { countProblem, runObservedLoop, type ProblemCounts } from "./runLoop.js";
import type { BridgeHealth } from "../core/bridge.js";
import { NodeTimer, type TimerPort } from "../loop/ticks.js";
import { MuscleBoardBridge, type LinkCounters } from "../../hardware/MuscleBoardBridge.js";
import type { BoardEvent, HardwareEvent } from "../../hardware/events.js";
import type { MuscleBoardBridgeOptions } from "../../hardware/options.js";
import type { LoopPlugin } from "../loop/extension.js";
import { sha256, TENDON_VERSION } from "./runIdentity.js";
import type { RunIdentity } from "../observability/runMetadata.js";

export interface HwRunOptions {
  readonly bridge: MuscleBoardBridgeOptions;
  /** DEP options; the output mapping is over each muscle's command range: "linear" (default) or "sigmoid". */
  readonly dep?: DepControllerOptions;
  /** Wall-clock seconds to run. */
  readonly durationSec: number;
  /** Control rate (Hz). Default 500. */
  readonly rateHz?: number;
  /** Reported in the summary (DEP itself is deterministic). */
  readonly seed?: number;
  readonly coverageBins?: number;
  /**
   * Default: a `NodeTimer`, which polls the event loop in the last millisecond before each
   * deadline, so that serial replies are decoded while the loop waits.
   */
  readonly timer?: TimerPort;
  /** Called once the loop and the bridge exist (progress display, stop on a signal, fault injection in tests). */
  readonly onLoop?: (loop: ControlLoop, totalTicks: number, bridge: MuscleBoardBridge) => void;
  readonly onEvent?: (event: HardwareEvent) => void;
  /** Loop plugins: the safety layer of `--serve`, the observers (see src/loop/extension.ts). */
  readonly plugins?: readonly LoopPlugin[];
  /** The hardware configuration's source (the --config file's text), hashed into the identity; default: the bridge options as JSON. */
  readonly configSource?: string;
  /** Called with what the run runs once the boards are configured and the controller built, before the first tick. */
  readonly onStart?: (identity: RunIdentity) => void;
}

export interface HwRunResult {
  /** What ran: version, configuration hash, DEP's preset, parameters and mapping, seed, rate. */
  readonly identity: RunIdentity;
  readonly model: string;
  readonly muscles: readonly string[];
  readonly joints: readonly string[];
  readonly controllerName: string;
  readonly commandUnit: string;
  readonly rateHz: number;
  /** The loop's result; `problems` includes the bridge's link problems. */
  readonly loop: LoopResult;
  /** null without joint sensors. */
  readonly coverage: number | null;
  readonly coverageBins: number;
  /** Joints without a range (none in the configuration): their coverage cells span [-pi, pi]. */
  readonly unrangedJoints: readonly string[];
  /** The first problems (loop and link): the first 20, and the first of every kind. */
  readonly problems: readonly ProblemEvent[];
  /** Every problem (loop and link), counted by code. */
  readonly problemCounts: ProblemCounts;
  /** The link when the loop ended: "error" when a board was not answering (the run then failed). */
  readonly linkAtEnd: BridgeHealth;
  readonly link: LinkCounters;
  readonly boards: ReturnType<MuscleBoardBridge["boards"]>;
  /** The first board events (resets, faults, rejections), at most 20. */
  readonly boardEvents: readonly BoardEvent[];
}

export const DEFAULT_HW_RATE_HZ = 500;

export async function runHw(options: HwRunOptions): Promise<HwRunResult> {
  const rateHz = options.rateHz ?? DEFAULT_HW_RATE_HZ;
  if (!(rateHz > 0)) throw new RangeError(`rate must be > 0 Hz, got ${rateHz}`);
  const bridge = new MuscleBoardBridge(options.bridge);
  const problems: ProblemEvent[] = [];
  const problemCounts: ProblemCounts = {};
  const boardEvents: BoardEvent[] = [];
  let linkProblems = 0;
  const eventSub = bridge.events$.subscribe((e) => {
    options.onEvent?.(e);
    if (e.type === "problem") {
      linkProblems++;
      countProblem(e, problemCounts, problems);
    } else if (e.kind !== "configured" && boardEvents.length < 20) boardEvents.push(e);
  });
  try {
    await bridge.configure();
    const spec = bridge.spec;
    const mapping = options.dep?.outputMapping ?? "linear";
    if (mapping === "myosuite") throw new RangeError(`mapping "myosuite" maps to activations 0..1; on the boards use "sigmoid" (the same curve over the command range) or "linear"`);
    const controller = new DepController({ ...options.dep, outputMapping: mapping });
    const periodSec = 1 / rateHz;
    const identity: RunIdentity = {
      tendonVersion: TENDON_VERSION,
      command: "hw",
      model: spec.name,
      modelSha256: sha256(options.configSource ?? JSON.stringify(options.bridge)),
      controller: controller.name,
      preset: options.dep?.preset ?? "default",
      mapping,
      params: controller.params,
      seed: options.seed ?? 0,
      rateHz,
    };
    options.onStart?.(identity);
    const totalTicks = Math.max(1, Math.round(options.durationSec * rateHz));
    const timer = options.timer ?? new NodeTimer();
    const run = await runObservedLoop({
      bridge,
      controller,
      mode: "realtime",
      periodSec,
      totalTicks,
      timer,
      plugins: options.plugins,
      coverageBins: options.coverageBins,
      coverageFreshOnly: true,
      problems,
      problemCounts,
      onLoop: (loop) => options.onLoop?.(loop, totalTicks, bridge),
    });
    // Before shutdown: whether the run ends with part of the body out of reach.
    const linkAtEnd = bridge.health();
    return {
      model: spec.name,
      muscles: spec.muscles.map((m) => m.name),
      joints: spec.joints.map((j) => j.name),
      controllerName: controller.name,
      commandUnit: spec.commandUnit,
      rateHz,
      loop: { ...run.loop, problems: run.loop.problems + linkProblems },
      coverage: run.coverage,
      coverageBins: run.coverageBins,
      unrangedJoints: spec.joints.filter((j) => !j.rangeRad).map((j) => j.name),
      problems,
      problemCounts,
      linkAtEnd,
      link: bridge.linkCounters(),
      boards: bridge.boards(),
      boardEvents,
      identity,
    };
  } finally {
    await bridge.shutdown();
    eventSub.unsubscribe();
  }
}
