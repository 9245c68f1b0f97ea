/**
 * Benchmarks of the control loop on the built-in arm:
 * - lockstep pipeline throughput (ticks -> read -> DEP -> limits -> write -> mj_step x frame skip)
 *   against a bare mj_step loop on the same model for the same number of physics steps;
 * - real-time loop timing (period error, overruns, CPU) at a given rate.
 *
 * Alone: `node --import tsx bench/loop.ts`.
 */
import { pathToFileURL } from "node:url";
import { DepController } from "../src/dep/DepController.js";
import { ControlLoop } from "../src/loop/ControlLoop.js";
import type { TimerPort } from "../src/loop/ticks.js";
import { MujocoBridge } from "../sim/MujocoBridge.js";
import { resolveModelSource } from "../sim/modelSource.js";

export interface ThroughputResult {
  readonly model: string;
  readonly rateHz: number;
  readonly frameSkip: number;
  readonly physicsSteps: number;
  /** Median over repetitions. */
  readonly pipelineStepsPerSec: number;
  readonly bareStepsPerSec: number;
  /** pipeline / bare: 1.0 means the loop costs nothing beyond the physics. */
  readonly ratio: number;
  readonly repetitions: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Lockstep pipeline vs bare mj_step, `simSeconds` of simulated time per repetition. */
export async function benchThroughput(options: { model?: string; rateHz?: number; simSeconds?: number; repetitions?: number } = {}): Promise<ThroughputResult> {
  const model = options.model ?? "arm2j6m";
  const rateHz = options.rateHz ?? 50;
  const simSeconds = options.simSeconds ?? 60;
  const reps = options.repetitions ?? 5;
  const pipeline: number[] = [];
  const bare: number[] = [];
  let frameSkip = 0;
  let physicsSteps = 0;
  for (let r = 0; r < reps; r++) {
    // Pipeline: the same loop `tendon sim` runs.
    const bridge = new MujocoBridge({ source: resolveModelSource(model), controlRateHz: rateHz, seed: r });
    await bridge.configure();
    frameSkip = bridge.frameSkip;
    const ticks = Math.round(simSeconds / bridge.controlPeriodSec);
    physicsSteps = ticks * frameSkip;
    const loop = new ControlLoop({ bridge, controller: new DepController(), mode: "lockstep", periodSec: bridge.controlPeriodSec, maxTicks: ticks });
    const result = await loop.run();
    pipeline.push(physicsSteps / result.wallSec);

    // Bare: mj_step on the same model and data, controls held, same number of physics steps.
    await bridge.activate();
    const { mj, model: m, data: d } = bridge.raw;
    const ctrl = d.ctrl as Float64Array;
    ctrl.fill(0.3);
    const t0 = performance.now();
    for (let k = 0; k < physicsSteps; k++) mj.mj_step(m, d);
    bare.push(physicsSteps / ((performance.now() - t0) / 1000));
    await bridge.shutdown();
  }
  const p = median(pipeline);
  const b = median(bare);
  return { model, rateHz, frameSkip, physicsSteps, pipelineStepsPerSec: Math.round(p), bareStepsPerSec: Math.round(b), ratio: p / b, repetitions: reps };
}

export interface RealtimeResult {
  readonly rateHz: number;
  readonly seconds: number;
  readonly ticks: number;
  readonly p50PeriodErrorMs: number;
  readonly p99PeriodErrorMs: number;
  readonly maxPeriodErrorMs: number;
  readonly p99ComputeMs: number;
  readonly overruns: number;
  readonly missedCycles: number;
  /** Process CPU over wall time; 1.0 = one core. */
  readonly cpuFraction: number;
}

/**
 * The built-in arm under DEP on the wall clock. The physics timestep is 1 ms so that every rate
 * up to 1000 Hz is a whole number of physics steps per tick.
 */
export async function benchRealtime(rateHz: number, seconds: number, timer?: TimerPort): Promise<RealtimeResult> {
  const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m"), timestepSec: 0.001, controlRateHz: rateHz });
  await bridge.configure();
  try {
    const loop = new ControlLoop({
      bridge,
      controller: new DepController(),
      mode: "realtime",
      periodSec: bridge.controlPeriodSec,
      maxTicks: Math.round(seconds / bridge.controlPeriodSec),
      timer,
    });
    const r = await loop.run();
    return {
      rateHz,
      seconds,
      ticks: r.ticks,
      p50PeriodErrorMs: r.stats.p50PeriodErrorMs,
      p99PeriodErrorMs: r.stats.p99PeriodErrorMs,
      maxPeriodErrorMs: r.stats.maxPeriodErrorMs,
      p99ComputeMs: r.stats.p99ComputeMs,
      overruns: r.stats.overruns,
      missedCycles: r.stats.missedCycles,
      cpuFraction: Math.round(r.cpuFraction * 1000) / 1000,
    };
  } finally {
    await bridge.shutdown();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(await benchThroughput());
  for (const hz of [100, 500, 1000]) console.log(await benchRealtime(hz, 5));
}
