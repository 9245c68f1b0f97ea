/**
 * The safety layer of one pipeline: the arbiter, the limits after it, and what the last tick
 * wrote. Built for a bridge's spec; plugs into a `ControlLoop` (`loopOptions()`) and is read by
 * the HTTP API and the ROS controller node.
 *
 * The order in the loop: controller -> arbitrate (sources, e-stop, hand-over ramp) -> limits
 * (range, rate, NaN or Inf -> safe command and a problem, stale sensors -> safe command) -> write.
 */
import type { Observable, OperatorFunction, Subscription } from "rxjs";
import type { Clock } from "../core/clock.js";
import type { RobotSpec } from "../core/spec.js";
import { CommandLimits } from "../loop/CommandLimits.js";
import type { ControlLoop } from "../loop/ControlLoop.js";
import type { Cycle } from "../loop/operators.js";
import { Arbiter } from "./Arbiter.js";
import { arbitrate } from "./arbitrate.js";
import { defaultSafetyConfig, type SafetyConfig } from "./config.js";
import type { ArbiterEvent } from "./events.js";

export interface SafetyLayerOptions {
  readonly spec: RobotSpec;
  /** Default: `defaultSafetyConfig(controllerName)`. */
  readonly config?: SafetyConfig;
  /** The loop controller's name, for the default configuration. */
  readonly controllerName?: string;
  /** The loop's tick clock (the real-time timer, or simulated time); stamps asynchronous commands. */
  readonly clock?: Clock;
  /**
   * Arbitrate at `clock`'s time instead of the tick's: for a loop whose ticks carry the sensors'
   * stamps (the ROS controller node, simulated time) while commands arrive on the wall clock.
   */
  readonly arbitrateOnClock?: boolean;
}

/** What the last tick wrote. Arrays are reused: copy what you keep. */
export interface LastCommand {
  /** Tick time (s, the loop's clock); NaN before the first tick. */
  stampSec: number;
  tick: number;
  source: string;
  readonly values: Float64Array;
  /** Wall time (ms, performance.now()) when the write ended. */
  writtenAtMs: number;
}

export class SafetyLayer {
  readonly spec: RobotSpec;
  readonly config: SafetyConfig;
  readonly arbiter: Arbiter;
  readonly limiter: CommandLimits;
  readonly last: LastCommand;
  #subscription: Subscription | undefined;
  #loop: ControlLoop | undefined;
  readonly #arbitrationClock: Clock | undefined;

  constructor(options: SafetyLayerOptions) {
    this.spec = options.spec;
    this.#arbitrationClock = options.arbitrateOnClock ? options.clock : undefined;
    this.config = options.config ?? defaultSafetyConfig(options.controllerName);
    const c = this.config;
    this.arbiter = new Arbiter({
      spec: options.spec,
      groups: c.groups,
      sources: c.sources,
      locks: c.locks,
      safeMode: c.safeMode,
      transitionSec: c.transitionSec,
      clock: options.clock,
    });
    this.limiter = new CommandLimits(options.spec, c.limits);
    this.last = { stampSec: Number.NaN, tick: -1, source: "safe", values: Float64Array.from(this.limiter.safeCommand), writtenAtMs: 0 };
  }

  get events$(): Observable<ArbiterEvent> {
    return this.arbiter.events$;
  }

  /** The arbitration stage, for `ControlLoopOptions.stages`. */
  stage(): OperatorFunction<Cycle, Cycle> {
    return arbitrate(this.arbiter, this.limiter, { clock: this.#arbitrationClock });
  }

  /** What a `ControlLoop` needs: the stage and the limiter. */
  loopOptions(): { stages: OperatorFunction<Cycle, Cycle>[]; limiter: CommandLimits } {
    return { stages: [this.stage()], limiter: this.limiter };
  }

  /** Follows a loop's completed cycles (the last written command) and keeps it for `stats`. */
  attach(loop: ControlLoop): void {
    this.#subscription?.unsubscribe();
    this.#loop = loop;
    const last = this.last;
    this.#subscription = loop.cycles$.subscribe((c) => {
      last.values.set(c.command.values);
      last.stampSec = c.tick.startSec;
      last.tick = c.tick.index;
      last.source = c.source;
      last.writtenAtMs = c.workEndMs;
    });
  }

  /** Record of the last written command, for the status endpoint (allocates). */
  lastCommandJson(): Record<string, unknown> {
    return {
      stampSec: this.last.stampSec,
      tick: this.last.tick,
      source: this.last.source,
      values: Object.fromEntries(this.spec.muscles.map((m, i) => [m.name, this.last.values[i]])),
    };
  }

  /** The attached loop's statistics (allocates). */
  loopStats(): Record<string, unknown> | undefined {
    const loop = this.#loop;
    return loop ? { ...loop.stats.summary() } : undefined;
  }

  /** Stops following the loop and completes the events. */
  dispose(): void {
    this.#subscription?.unsubscribe();
    this.arbiter.dispose();
  }
}
