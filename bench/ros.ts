/**
 * The node layer's cost, on the in-process transport (the default):
 *
 * - latency: a sensor frame to its muscle command, in real time at 500 Hz: the MuJoCo arm in a
 *   bridge node, DEP in the controller node, composed in one process. Measured from the start of
 *   the bridge's read to the command's arrival on /muscle_commands (read, /joint_states and
 *   /muscle_states published, DEP, arbitration, limits, /muscle_commands published). Target:
 *   p99 <= 0.1 ms.
 * - throughput: the sim and controller nodes composed in lockstep against the plain `tendon sim`
 *   loop (`runSim`: the same model, rate, DEP and duration), loop wall time only, median of
 *   alternating repetitions. Target: >= 90 % of the plain loop's ticks per second.
 *
 * Alone: `node --import tsx bench/ros.ts [--quick]`. `npm run bench` calls `benchTransport`.
 */
import { pathToFileURL } from "node:url";
import type { SteppableBridge } from "../src/core/bridge.js";
import type { MuscleCommand, SensorFrame } from "../src/core/frames.js";
import { runSim } from "../src/app/runSim.js";
import { Histogram } from "../src/core/Histogram.js";
import { BridgeNode, bridgeParameterSpecs } from "../src/nodes/BridgeNode.js";
import { startNodes } from "../src/nodes/nodeSet.js";
import { InProcessTransport } from "../src/transport/InProcessTransport.js";
import { MujocoBridge } from "../sim/MujocoBridge.js";
import { resolveModelSource } from "../sim/modelSource.js";
import { printRows, type Row } from "./rows.js";

const MODEL = "arm2j6m";
const quiet = (): void => undefined;

/** A MuJoCo bridge that notes when each read started. */
class TimedBridge implements SteppableBridge {
  readStartMs = 0;
  constructor(readonly inner: MujocoBridge) {}
  get state() {
    return this.inner.state;
  }
  get spec() {
    return this.inner.spec;
  }
  get simTimeSec() {
    return this.inner.simTimeSec;
  }
  configure() {
    return this.inner.configure();
  }
  activate() {
    return this.inner.activate();
  }
  deactivate() {
    return this.inner.deactivate();
  }
  shutdown() {
    return this.inner.shutdown();
  }
  read(timeSec: number, periodSec: number, frame: SensorFrame): boolean {
    this.readStartMs = performance.now();
    return this.inner.read(timeSec, periodSec, frame);
  }
  write(timeSec: number, periodSec: number, command: MuscleCommand): void {
    this.inner.write(timeSec, periodSec, command);
  }
  advance(periodSec: number): void {
    this.inner.advance(periodSec);
  }
}

export interface LatencyResult {
  readonly rateHz: number;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly loop: { readonly p99PeriodErrorMs: number; readonly overruns: number; readonly missedCycles: number };
}

/** Sensor frame to muscle command through the in-process transport, in real time. */
export async function benchLatency(options: { rateHz?: number; seconds?: number; warmupSeconds?: number } = {}): Promise<LatencyResult> {
  const rateHz = options.rateHz ?? 500;
  const seconds = options.seconds ?? 6;
  const warmupTicks = Math.round((options.warmupSeconds ?? 0.5) * rateHz);
  const transport = new InProcessTransport({ log: quiet });
  const controllers = await startNodes({ nodes: ["controller"], transport });
  const node = transport.createNode("sim");
  const params = node.declareParameters(bridgeParameterSpecs({ rateHz }));
  const bridge = new TimedBridge(new MujocoBridge({ source: resolveModelSource(MODEL), controlRateHz: rateHz }));
  await bridge.configure();
  const latency = new Histogram(1e-6, 0.1);
  let ticks = 0;
  const spy = transport.createNode("spy");
  spy.subscribe("std_msgs/msg/Float64MultiArray", "/muscle_commands").subscribe(() => {
    const ms = performance.now() - bridge.readStartMs;
    if (ticks++ >= warmupTicks) latency.record(ms / 1000);
  });
  const sim = new BridgeNode({ node, bridge, params, mode: "realtime", periodSec: bridge.inner.controlPeriodSec, maxTicks: Math.round(seconds * rateHz) });
  await sim.start();
  await sim.finished;
  await sim.stop();
  await controllers.stop();
  await transport.close();
  const ms = (s: number): number => Math.round(s * 1e6) / 1e3;
  const stats = sim.result!.stats;
  return {
    rateHz,
    samples: latency.count,
    p50Ms: ms(latency.quantile(0.5)),
    p99Ms: ms(latency.quantile(0.99)),
    maxMs: ms(latency.max),
    loop: { p99PeriodErrorMs: stats.p99PeriodErrorMs, overruns: stats.overruns, missedCycles: stats.missedCycles },
  };
}

export interface ComposedThroughputResult {
  readonly simSeconds: number;
  readonly rateHz: number;
  readonly repetitions: number;
  /** Loop wall time (s) of each repetition. */
  readonly plainWallSec: readonly number[];
  readonly composedWallSec: readonly number[];
  readonly plainTicksPerSec: number;
  readonly composedTicksPerSec: number;
  /** composed / plain ticks per second (medians). */
  readonly ratio: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Composed sim + controller nodes in lockstep against the plain `tendon sim` loop. */
export async function benchComposedThroughput(options: { simSeconds?: number; rateHz?: number; repetitions?: number } = {}): Promise<ComposedThroughputResult> {
  const simSeconds = options.simSeconds ?? 120;
  const rateHz = options.rateHz ?? 50;
  const repetitions = options.repetitions ?? 7;
  const plain = async (): Promise<{ wall: number; ticks: number }> => {
    const r = await runSim({ model: MODEL, explorer: "dep", durationSec: simSeconds, seed: 0, rateHz });
    return { wall: r.loop.wallSec, ticks: r.loop.ticks };
  };
  const composed = async (): Promise<{ wall: number; ticks: number }> => {
    const transport = new InProcessTransport({ log: quiet, parameters: new Map([["sim", { mode: "lockstep", rate_hz: rateHz, seed: 0 }]]) });
    const set = await startNodes({ nodes: ["sim", "controller"], transport, durationSec: simSeconds });
    await set.finished;
    const result = set.get<BridgeNode>("sim")!.result!;
    await set.stop();
    await transport.close();
    return { wall: result.wallSec, ticks: result.ticks };
  };
  // Warm both paths up (JIT tiers, MuJoCo's module) twice, then alternate, each first every other round
  // (garbage one run leaves is collected during the next), pausing between runs so that the
  // collector can work outside the timed loops.
  for (let w = 0; w < 2; w++) {
    await plain();
    await composed();
  }
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));
  const plainWall: number[] = [];
  const composedWall: number[] = [];
  let ticks = 0;
  for (let i = 0; i < repetitions; i++) {
    const order = i % 2 === 0 ? [plain, composed] : [composed, plain];
    const results: { wall: number; ticks: number }[] = [];
    for (const run of order) {
      await settle();
      results.push(await run());
    }
    const [p, c] = i % 2 === 0 ? results : [results[1], results[0]];
    if (p.ticks !== c.ticks) throw new Error(`tick counts differ: plain ${p.ticks}, composed ${c.ticks}`);
    ticks = p.ticks;
    plainWall.push(p.wall);
    composedWall.push(c.wall);
  }
  const plainTps = ticks / median(plainWall);
  const composedTps = ticks / median(composedWall);
  return {
    simSeconds,
    rateHz,
    repetitions,
    plainWallSec: plainWall,
    composedWallSec: composedWall,
    plainTicksPerSec: plainTps,
    composedTicksPerSec: composedTps,
    ratio: composedTps / plainTps,
  };
}

export const LATENCY_TARGET_MS = 0.1;
export const THROUGHPUT_TARGET = 0.9;

/** Both benchmarks, with rows for `npm run bench`'s table. */
export async function benchTransport(options: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const quick = options.quick ?? false;
  const latency = await benchLatency({ seconds: quick ? 2 : 6 });
  const throughput = await benchComposedThroughput({ simSeconds: quick ? 20 : 120, repetitions: quick ? 3 : 7 });
  const rows = [
    {
      group: "nodes (in process)",
      metric: `sensor frame -> command, ${latency.rateHz} Hz real time: p99 (p50, max)`,
      value: `${latency.p99Ms.toFixed(3)} ms (${latency.p50Ms.toFixed(3)} ms, ${latency.maxMs.toFixed(3)} ms), ${latency.samples} ticks`,
      target: `p99 <= ${LATENCY_TARGET_MS} ms`,
      ok: latency.p99Ms <= LATENCY_TARGET_MS,
    },
    {
      group: "nodes (in process)",
      metric: `sim + controller nodes vs tendon sim loop, lockstep ${throughput.rateHz} Hz`,
      value: `${(throughput.ratio * 100).toFixed(1)} % (${throughput.composedTicksPerSec.toFixed(0)} vs ${throughput.plainTicksPerSec.toFixed(0)} ticks/s)`,
      target: `>= ${THROUGHPUT_TARGET * 100} %`,
      ok: throughput.ratio >= THROUGHPUT_TARGET,
    },
  ];
  return { latency, throughput, targets: { latencyP99Ms: LATENCY_TARGET_MS, throughputRatio: THROUGHPUT_TARGET }, rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchTransport({ quick: process.argv.includes("--quick") });
  printRows(result.rows as Row[]);
  const { rows: _rows, ...json } = result;
  console.log(JSON.stringify(json));
}
