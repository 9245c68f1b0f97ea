/**
 * The stages of one control cycle as RxJS operators. Data flows one way:
 *   tick -> read sensors -> controller -> [arbitration stages] -> limits -> write -> (advance sim)
 * Every stage is a `map` over one reused `Cycle` object (no allocation per tick) whose state
 * lives in the closure of its subscription. No stage throws into the stream: a failure becomes a
 * problem event and the safe command.
 */
import { map, type OperatorFunction } from "rxjs";
import type { Bridge, SteppableBridge } from "../core/bridge.js";
import type { Controller } from "../core/controller.js";
import type { ProblemEvent } from "../core/events.js";
import type { MuscleCommand, SensorFrame } from "../core/frames.js";
import type { CommandLimits } from "./CommandLimits.js";
import type { Tick } from "./ticks.js";

/** Everything one control cycle produced. Reused every tick: copy what you keep. */
export interface Cycle {
  tick: Tick;
  readonly frame: SensorFrame;
  /** Whether the bridge delivered a fresh reading this tick. */
  fresh: boolean;
  /** Consecutive ticks without a fresh reading. */
  staleTicks: number;
  /** Sensors stale past the limit (the watchdog): only the safe command may be written this tick. */
  sensorsStale: boolean;
  readonly command: MuscleCommand;
  /**
   * Set by an arbitration stage: 1 for each muscle whose command this tick is its safe command,
   * written at once (not rate limited). Undefined when no stage marks muscles.
   */
  safeMask: Uint8Array | undefined;
  /** Who produced the command: the controller's name, an arbitration source, or "safe". */
  source: string;
  /** Wall time (ms, performance.now()) when the cycle's work started and when the write ended. */
  workStartMs: number;
  workEndMs: number;
}

export type ProblemSink = (problem: ProblemEvent) => void;

export function createCycle(frame: SensorFrame, command: MuscleCommand): Cycle {
  return {
    tick: { index: 0, cycle: 0, deadlineSec: 0, startSec: 0, periodSec: 0, missed: 0 },
    frame,
    fresh: false,
    staleTicks: 0,
    sensorsStale: false,
    command,
    safeMask: undefined,
    source: "safe",
    workStartMs: 0,
    workEndMs: 0,
  };
}

/** Tick -> cycle: puts the tick into the reused cycle object and starts its work timer. */
export function startCycle(cycle: Cycle): OperatorFunction<Tick, Cycle> {
  return map((tick) => {
    cycle.tick = tick;
    cycle.workStartMs = performance.now();
    cycle.source = "safe";
    return cycle;
  });
}

/** Reads the bridge into the cycle's frame. A throwing read counts as a stale tick. */
export function readSensors(bridge: Bridge, onProblem: ProblemSink): OperatorFunction<Cycle, Cycle> {
  let failures = 0;
  return map((c) => {
    let fresh = false;
    try {
      fresh = bridge.read(c.tick.startSec, c.tick.periodSec, c.frame);
    } catch (err) {
      if (failures++ === 0) {
        onProblem({ type: "problem", code: "bridge_read_error", message: `sensor read failed: ${errorText(err)}`, stampSec: c.tick.startSec });
      }
    }
    c.fresh = fresh;
    c.staleTicks = fresh ? 0 : c.staleTicks + 1;
    return c;
  });
}

export interface ComputeOptions {
  /** Ticks without fresh sensors after which the safe command is sent instead. Default 5. */
  readonly maxStaleTicks?: number;
}

/**
 * Runs the controller. A throwing controller, or sensors stale for too long, give the safe
 * command for this tick (written by the limits stage) and a problem event on the first occurrence;
 * a controller that returns null (no command this tick) gives the safe command without one.
 */
export function computeCommand(controller: Controller, onProblem: ProblemSink, options: ComputeOptions = {}): OperatorFunction<Cycle, Cycle> {
  const maxStale = options.maxStaleTicks ?? 5;
  let errors = 0;
  let staleReported = false;
  return map((c) => {
    c.sensorsStale = c.staleTicks > maxStale;
    if (c.sensorsStale) {
      if (!staleReported) {
        staleReported = true;
        onProblem({
          type: "problem",
          code: "stale_sensors",
          message: `no fresh sensor reading for ${c.staleTicks} ticks; sending the safe command until readings return`,
          stampSec: c.tick.startSec,
        });
      }
      c.source = "safe";
      return c;
    }
    staleReported = false;
    try {
      const out = controller.update(c.frame, c.tick.periodSec);
      // null: the controller has no command this tick; the limits stage writes the safe command.
      if (out === null) c.source = "safe";
      else {
        c.command.values.set(out);
        c.source = controller.name;
      }
    } catch (err) {
      if (errors++ === 0) {
        onProblem({
          type: "problem",
          code: "controller_error",
          message: `controller '${controller.name}' threw: ${errorText(err)}; sending the safe command for this tick`,
          stampSec: c.tick.startSec,
        });
      }
      c.source = "safe";
    }
    c.command.stampSec = c.tick.startSec;
    return c;
  });
}

/**
 * Range, rate and NaN limits; the safe command when no source produced one or the sensors are
 * stale (whatever a later stage made of the command), and for the muscles in `safeMask`.
 */
export function limitCommand(limits: CommandLimits, onProblem: ProblemSink): OperatorFunction<Cycle, Cycle> {
  return map((c) => {
    if (c.source === "safe" || c.sensorsStale) limits.safe(c.command.values);
    else limits.apply(c.command.values, c.tick.periodSec, c.tick.startSec, onProblem, c.safeMask);
    return c;
  });
}

/** Writes the command; a throwing write becomes a problem event. */
export function writeCommand(bridge: Bridge, onProblem: ProblemSink): OperatorFunction<Cycle, Cycle> {
  let failures = 0;
  return map((c) => {
    try {
      bridge.write(c.tick.startSec, c.tick.periodSec, c.command);
    } catch (err) {
      if (failures++ === 0) {
        onProblem({ type: "problem", code: "bridge_write_error", message: `command write failed: ${errorText(err)}`, stampSec: c.tick.startSec });
      }
    }
    c.workEndMs = performance.now();
    return c;
  });
}

/** Lockstep and real-time simulation: the simulated body moves one control period per tick. */
export function advanceSimulation(bridge: SteppableBridge): OperatorFunction<Cycle, Cycle> {
  return map((c) => {
    bridge.advance(c.tick.periodSec);
    return c;
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
