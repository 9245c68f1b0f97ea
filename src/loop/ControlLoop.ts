/**
 * The control loop: a clock drives ticks, each tick runs read -> controller -> arbitration ->
 * limits -> write (-> advance, for a simulator) synchronously, and statistics are kept.
 *
 * Modes:
 * - "realtime": ticks on absolute wall-clock deadlines (`deadlineTicks`), overruns skipped and
 *   counted; works with hardware and with a simulator (which then runs at wall-clock speed).
 * - "lockstep": a simulator only; ticks as fast as possible, the simulation advancing exactly one
 *   control period per tick, so a run is deterministic for a seed.
 * - "external": the caller's tick source (`ticks`), such as the arrival of a sensor message: the
 *   ROS controller node ticks once per /muscle_states message, over a topic-backed bridge.
 *
 * Lifecycle: `run()` configures (if needed) and activates the bridge, runs until the duration is
 * reached or `stop()` is called, then writes the safe command and deactivates. The bridge is not
 * shut down: its owner does that. A bridge that is already active when `run()` is called is used
 * as it is, and the loop subscribes to its tick source before `run()` returns: a loop that ticks
 * on messages then misses none of those that follow.
 *
 * Extension points, in the order a tick passes them: `readers` (after the read), the controller
 * (any `Controller`: DEP, a topic-backed one, a planner), `stages` (operators between the controller and the limits: the
 * arbiter, a policy source, a recorder's tap), the `limiter`, then `cycles$` after the write.
 * Runs add these through loop plugins (src/loop/extension.ts).
 */
import { Subject, type Observable, type OperatorFunction, type Subscription } from "rxjs";
import { isSteppable, type Bridge, type SteppableBridge } from "../core/bridge.js";
import type { Controller } from "../core/controller.js";
import type { LoopEvent, ProblemEvent } from "../core/events.js";
import { createMuscleCommand, createSensorFrame, type MuscleCommand } from "../core/frames.js";
import { CommandLimits, type CommandLimitsOptions } from "./CommandLimits.js";
import { LoopStats, type LoopStatsSummary } from "./LoopStats.js";
import {
  advanceSimulation,
  computeCommand,
  createCycle,
  limitCommand,
  readSensors,
  startCycle,
  writeCommand,
  type Cycle,
} from "./operators.js";
import { deadlineTicks, lockstepTicks, NodeTimer, type Tick, type TimerPort } from "./ticks.js";

export type LoopMode = "realtime" | "lockstep" | "external";

export interface ControlLoopOptions {
  readonly bridge: Bridge;
  readonly controller: Controller;
  readonly mode: LoopMode;
  /** Control period (s). For a simulator, normally its `controlPeriodSec`. */
  readonly periodSec: number;
  /** Run for this many ticks (default: until `stop()`). */
  readonly maxTicks?: number;
  readonly limits?: CommandLimitsOptions;
  /**
   * A limiter built by the caller, used instead of one built from `limits` (for the bridge's spec):
   * an arbitration stage that ramps from the last written command reads its `lastCommand`.
   */
  readonly limiter?: CommandLimits;
  /** Ticks without a fresh reading before the safe command is sent (default 5). */
  readonly maxStaleTicks?: number;
  /** Timer for real-time mode (default: the process's, with a 1 ms polling window). */
  readonly timer?: TimerPort;
  /**
   * Operators run right after the read, before the controller (state broadcasters, as in
   * ros2_control: a bridge node publishes each fresh reading here).
   */
  readonly readers?: readonly OperatorFunction<Cycle, Cycle>[];
  /** Arbitration hook: operators run between the controller and the limits (teleop, e-stop, policy). */
  readonly stages?: readonly OperatorFunction<Cycle, Cycle>[];
  /** The tick source of "external" mode (ignored otherwise): one tick per message, say. */
  readonly ticks?: Observable<Tick>;
}

export interface LoopResult {
  readonly mode: LoopMode;
  readonly ticks: number;
  readonly wallSec: number;
  /** Simulated seconds advanced (lockstep or a simulator in real time); wall seconds otherwise. */
  readonly simSec: number;
  /** CPU time (user + system) of the process over wall time, 1.0 = one core. */
  readonly cpuFraction: number;
  readonly stats: LoopStatsSummary;
  readonly problems: number;
}

export class ControlLoop {
  readonly #options: ControlLoopOptions;
  readonly #events = new Subject<LoopEvent>();
  readonly #cycles = new Subject<Cycle>();
  readonly #stats = new LoopStats();
  #stopRequested = false;
  /** While running: what `writeSafeNow` needs. */
  #running: { bridge: Bridge; limits: CommandLimits; command: MuscleCommand; periodSec: number; wallStartMs: number } | undefined;
  #subscription: Subscription | undefined;
  #finish: (() => void) | undefined;
  #problems = 0;

  constructor(options: ControlLoopOptions) {
    if (!(options.periodSec > 0)) throw new RangeError(`periodSec must be > 0, got ${options.periodSec}`);
    if (options.mode === "lockstep" && !isSteppable(options.bridge)) {
      throw new Error("lockstep mode needs a simulated bridge (one whose time the loop drives)");
    }
    if (options.mode === "external" && !options.ticks) throw new Error("external mode needs a tick source (`ticks`)");
    this.#options = options;
  }

  /** Problems and lifecycle changes. */
  get events$(): Observable<LoopEvent> {
    return this.#events.asObservable();
  }

  /** Every completed cycle, synchronously after its write (the object is reused: copy what you keep). */
  get cycles$(): Observable<Cycle> {
    return this.#cycles.asObservable();
  }

  get stats(): LoopStats {
    return this.#stats;
  }

  /**
   * Writes every muscle's safe command to the bridge now, between ticks, instead of at the next
   * tick (an e-stop). Synchronous; JavaScript runs it between two ticks, never inside one. The
   * ticks after it must enforce the safe command themselves (a latched e-stop in the arbitration
   * stage does). Returns false when the loop is not running or the write failed.
   */
  writeSafeNow(reason: string): boolean {
    const r = this.#running;
    if (!r || r.bridge.state !== "active") return false;
    const stampSec = (performance.now() - r.wallStartMs) / 1000;
    try {
      r.limits.safe(r.command.values);
      r.command.stampSec = stampSec;
      r.bridge.write(stampSec, r.periodSec, r.command);
    } catch (err) {
      this.#events.next({ type: "problem", code: "bridge_write_error", message: `immediate safe command failed: ${err instanceof Error ? err.message : String(err)}`, stampSec });
      return false;
    }
    this.#events.next({ type: "safe_write", reason, stampSec });
    return true;
  }

  /** Ends the run after the current tick; `run()` then resolves. */
  stop(): void {
    this.#stopRequested = true;
    this.#subscription?.unsubscribe();
    this.#finish?.();
  }

  run(): Promise<LoopResult> {
    const bridge = this.#options.bridge;
    if (bridge.state === "active") return this.#runActive();
    return (async () => {
      if (bridge.state === "unconfigured") await bridge.configure();
      await bridge.activate();
      return this.#runActive();
    })();
  }

  /** Subscribes to the ticks at once (synchronously); resolves when the run ended and the bridge is safe. */
  #runActive(): Promise<LoopResult> {
    const { bridge, controller, mode, periodSec } = this.#options;
    const spec = bridge.spec;
    controller.configure(spec);
    const frame = createSensorFrame(spec);
    const command = createMuscleCommand(spec);
    const cycle = createCycle(frame, command);
    const limits = this.#options.limiter ?? new CommandLimits(spec, this.#options.limits);
    const onProblem = (p: ProblemEvent): void => {
      this.#problems++;
      this.#events.next(p);
    };
    this.#events.next({ type: "lifecycle", from: "inactive", to: "active", stampSec: 0 });

    const ticks$: Observable<Tick> =
      mode === "external"
        ? this.#options.ticks!
        : mode === "lockstep"
          ? lockstepTicks({ periodSec, maxTicks: this.#options.maxTicks })
          : deadlineTicks({ periodSec, timer: this.#options.timer ?? new NodeTimer(), maxTicks: this.#options.maxTicks });

    const steppable = isSteppable(bridge) ? bridge : undefined;
    const stages = this.#options.stages ?? [];
    let pipeline = ticks$.pipe(startCycle(cycle), readSensors(bridge, onProblem));
    for (const reader of this.#options.readers ?? []) pipeline = pipeline.pipe(reader);
    pipeline = pipeline.pipe(computeCommand(controller, onProblem, { maxStaleTicks: this.#options.maxStaleTicks }));
    for (const stage of stages) pipeline = pipeline.pipe(stage);
    pipeline = pipeline.pipe(limitCommand(limits, onProblem), writeCommand(bridge, onProblem));
    if (steppable) pipeline = pipeline.pipe(advanceSimulation(steppable));

    const simStartSec = steppable ? steppable.simTimeSec : 0;
    const cpuStart = process.cpuUsage();
    const wallStartMs = performance.now();
    this.#running = { bridge, limits, command, periodSec, wallStartMs };
    this.#stats.reset();
    const stats = this.#stats;
    const cycles = this.#cycles;

    // The executor runs now: the pipeline is subscribed before this method returns.
    const ended = new Promise<void>((resolve, reject) => {
      this.#finish = resolve;
      if (this.#stopRequested) return resolve();
      this.#subscription = pipeline.subscribe({
        next: (c) => {
          stats.record(c.tick.startSec - c.tick.deadlineSec, (c.workEndMs - c.workStartMs) / 1000, c.tick.missed);
          if (c.tick.missed > 0) {
            onProblem({
              type: "problem",
              code: "overrun",
              message: `tick ${c.tick.index}: the previous cycle overran; skipped ${c.tick.missed} cycle(s)`,
              stampSec: c.tick.startSec,
            });
          }
          cycles.next(c);
        },
        error: reject,
        complete: resolve,
      });
    });
    return ended.then(() => this.#end(bridge, limits, command, wallStartMs, cpuStart, simStartSec, steppable));
  }

  async #end(bridge: Bridge, limits: CommandLimits, command: MuscleCommand, wallStartMs: number, cpuStart: NodeJS.CpuUsage, simStartSec: number, steppable: SteppableBridge | undefined): Promise<LoopResult> {
    const { mode, periodSec } = this.#options;
    const stats = this.#stats;
    this.#finish = undefined;
    this.#running = undefined;

    const wallSec = (performance.now() - wallStartMs) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    // Leave the body safe whatever happened.
    try {
      limits.safe(command.values);
      bridge.write(0, periodSec, command);
    } catch {
      // a vanished device cannot be commanded; deactivate below still runs
    }
    if (bridge.state === "active") await bridge.deactivate();
    this.#events.next({ type: "lifecycle", from: "active", to: "inactive", stampSec: 0 });

    const ticks = stats.ticks;
    return {
      mode,
      ticks,
      wallSec,
      simSec: steppable ? Math.round((steppable.simTimeSec - simStartSec) * 1e9) / 1e9 : wallSec,
      cpuFraction: wallSec > 0 ? (cpu.user + cpu.system) / 1e6 / wallSec : 0,
      stats: stats.summary(),
      problems: this.#problems,
    };
  }
}
