/**
 * Benchmarks of observability (alone: `node --import tsx bench/observability.ts [--quick]`):
 * - recording cost: lockstep throughput of `tendon sim`'s pipeline (arm2j6m, DEP, 50 Hz, frame
 *   skip 10) with every topic of the ROS 2 profile recorded to MCAP against the same pipeline
 *   without; repetitions interleaved, medians compared. Target: <= 5 % slower.
 * - dashboard: the pipeline in real time at 500 Hz with the dashboard's feed served to a client
 *   over HTTP (Server-Sent Events, as the page reads it): frames per second the client receives
 *   (target >= 20 Hz), and the loop's p99 period error and compute time with and without the feed.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ApiServer } from "../src/api/ApiServer.js";
import { DepController } from "../src/dep/DepController.js";
import { ControlLoop, type LoopResult } from "../src/loop/ControlLoop.js";
import { DashboardFeed } from "../src/observability/dashboard/DashboardFeed.js";
import { DashboardRoutes } from "../src/observability/dashboard/DashboardRoutes.js";
import { LoopRecorder } from "../src/observability/LoopRecorder.js";
import { epochNowNs } from "../src/observability/McapRecorder.js";
import { IoPollingTimer } from "../hardware/IoPollingTimer.js";
import { MujocoBridge } from "../sim/MujocoBridge.js";
import { resolveModelSource } from "../sim/modelSource.js";

interface Row {
  readonly group: string;
  readonly metric: string;
  readonly value: string;
  readonly target?: string;
  readonly ok?: boolean;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * This thread's time on a CPU and waiting for one (ns), from Linux's schedstat: the loop's own
 * cost, apart from what other processes on a shared machine take. Undefined elsewhere.
 */
function threadSched(): { cpuNs: number; waitNs: number } | undefined {
  try {
    const [cpu, wait] = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
    return { cpuNs: cpu, waitNs: wait };
  } catch {
    return undefined;
  }
}

/** One lockstep run; with `record`, every profile topic goes to an MCAP file there. */
async function lockstepRun(
  simSeconds: number,
  record: string | undefined,
): Promise<{ ticksPerSec: number; cpuUsPerTick: number; waitUsPerTick: number; result: LoopResult; messages: number; bytes: number; dropped: number }> {
  const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m"), controlRateHz: 50, seed: 0 });
  await bridge.configure();
  try {
    const controller = new DepController();
    const ticks = Math.round(simSeconds / bridge.controlPeriodSec);
    // As `tendon sim --record` does it (RunObservers): a LoopRecorder fed by the loop.
    const recorder = record ? await LoopRecorder.open({ path: record, originNs: epochNowNs() }) : undefined;
    let loop: ControlLoop | undefined = undefined;
    recorder?.configure({ spec: bridge.spec, controllerName: controller.name, matrix: () => controller.matrix(), stats: () => loop!.stats.summary(), simulated: true });
    loop = new ControlLoop({ bridge, controller, mode: "lockstep", periodSec: bridge.controlPeriodSec, maxTicks: ticks, stages: recorder ? [recorder.controllerStage()] : [] });
    const sub = recorder ? loop.cycles$.subscribe((c) => recorder.onCycle(c)) : undefined;
    const s0 = threadSched();
    const result = await loop.run();
    const s1 = threadSched();
    sub?.unsubscribe();
    const stats = await recorder?.close();
    return {
      ticksPerSec: result.ticks / result.wallSec,
      cpuUsPerTick: s0 && s1 ? (s1.cpuNs - s0.cpuNs) / 1000 / result.ticks : NaN,
      waitUsPerTick: s0 && s1 ? (s1.waitNs - s0.waitNs) / 1000 / result.ticks : NaN,
      result,
      messages: stats?.messages ?? 0,
      bytes: stats?.bytes ?? 0,
      dropped: stats?.dropped ?? 0,
    };
  } finally {
    await bridge.shutdown();
  }
}

/** The pipeline in real time at `rateHz` for `seconds`; with `feed`, the dashboard served to one SSE client. */
async function realtimeRun(rateHz: number, seconds: number, feed: boolean): Promise<{ result: LoopResult; framesPerSec: number; frames: number; samplesPerSec: number }> {
  const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m"), controlRateHz: rateHz, seed: 0 });
  await bridge.configure();
  const server = await ApiServer.start({ port: 0 });
  const routes = new DashboardRoutes();
  routes.mountOn(server);
  try {
    const controller = new DepController();
    const periodSec = bridge.controlPeriodSec;
    const loop = new ControlLoop({ bridge, controller, mode: "realtime", periodSec, maxTicks: Math.round(seconds / periodSec), timer: new IoPollingTimer() });
    let dashboard: DashboardFeed | undefined;
    if (feed) {
      dashboard = new DashboardFeed({ spec: bridge.spec, controllerName: controller.name, periodSec, matrix: () => controller.matrix() });
      dashboard.setStats(() => loop.stats.summary());
      routes.setFeed(dashboard);
      loop.cycles$.subscribe((c) => dashboard!.onCycle(c));
    }
    let frames = 0;
    let samples = 0;
    let firstMs = 0;
    let lastMs = 0;
    let request: http.ClientRequest | undefined;
    if (feed) {
      await new Promise<void>((resolve, reject) => {
        request = http.get(`${server.url}/dashboard/feed`, (res) => {
          res.setEncoding("utf8");
          let buf = "";
          res.on("data", (d: string) => {
            buf += d;
            let cut: number;
            while ((cut = buf.indexOf("\n\n")) >= 0) {
              const event = buf.slice(0, cut);
              buf = buf.slice(cut + 2);
              if (!event.startsWith("event: frame")) continue;
              const now = performance.now();
              if (frames === 0) firstMs = now;
              lastMs = now;
              frames++;
              samples += (JSON.parse(event.slice(event.indexOf("data: ") + 6)) as { t: number[] }).t.length;
            }
          });
          resolve();
        });
        request.on("error", reject);
      });
    }
    const result = await loop.run();
    request?.destroy();
    routes.setFeed(undefined);
    const span = (lastMs - firstMs) / 1000;
    return { result, frames, framesPerSec: frames > 1 && span > 0 ? (frames - 1) / span : 0, samplesPerSec: span > 0 ? samples / span : 0 };
  } finally {
    await server.close();
    await bridge.shutdown();
  }
}

export async function benchObservability(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const quick = opts.quick ?? false;
  const rows: Row[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-bench-obs-"));
  try {
    // Recording cost, lockstep.
    const simSeconds = quick ? 30 : 120;
    const reps = quick ? 3 : 7;
    const plain: number[] = [];
    const recorded: number[] = [];
    const plainCpu: number[] = [];
    const recordedCpu: number[] = [];
    const plainWait: number[] = [];
    const recordedWait: number[] = [];
    let last: Awaited<ReturnType<typeof lockstepRun>> | undefined;
    await lockstepRun(5, undefined); // warm-up (wasm, JIT)
    for (let r = 0; r < reps; r++) {
      const p = await lockstepRun(simSeconds, undefined);
      plain.push(p.ticksPerSec);
      plainCpu.push(p.cpuUsPerTick);
      last = await lockstepRun(simSeconds, path.join(dir, `run${r}.mcap`));
      recorded.push(last.ticksPerSec);
      recordedCpu.push(last.cpuUsPerTick);
      plainWait.push(p.waitUsPerTick);
      recordedWait.push(last.waitUsPerTick);
    }
    const plainMed = median(plain);
    const recMed = median(recorded);
    const costPct = (1 - recMed / plainMed) * 100;
    const perTickUs = (1 / recMed - 1 / plainMed) * 1e6;
    rows.push({ group: "recording", metric: `lockstep ticks/s, no recording (arm2j6m, 50 Hz, ${simSeconds} s x ${reps})`, value: `${plainMed.toFixed(0)}` });
    rows.push({ group: "recording", metric: "lockstep ticks/s, every topic to MCAP", value: `${recMed.toFixed(0)} (${last!.messages} messages, ${(last!.bytes / 1e6).toFixed(1)} MB, ${last!.dropped} dropped)` });
    rows.push({ group: "recording", metric: "throughput cost of recording", value: `${costPct.toFixed(1)} % (${perTickUs.toFixed(1)} us per tick)`, target: "<= 5 %", ok: costPct <= 5 });
    const cpuPlain = median(plainCpu);
    const cpuRec = median(recordedCpu);
    const cpuPct = ((cpuRec - cpuPlain) / cpuPlain) * 100;
    if (Number.isFinite(cpuPct)) {
      rows.push({
        group: "recording",
        metric: "loop thread CPU per tick, without / with recording",
        value: `${cpuPlain.toFixed(1)} / ${cpuRec.toFixed(1)} us (+${cpuPct.toFixed(1)} %); waiting for a CPU ${median(plainWait).toFixed(1)} / ${median(recordedWait).toFixed(1)} us`,
      });
    }

    // Dashboard at 500 Hz, real time.
    const seconds = quick ? 4 : 15;
    const without = await realtimeRun(500, seconds, false);
    const withFeed = await realtimeRun(500, seconds, true);
    const p99Without = without.result.stats.p99PeriodErrorMs;
    const p99With = withFeed.result.stats.p99PeriodErrorMs;
    const allowed = Math.max(p99Without * 1.25, p99Without + 0.05);
    rows.push({ group: "dashboard", metric: `frames/s received, pipeline at 500 Hz (${seconds} s)`, value: `${withFeed.framesPerSec.toFixed(1)} (${withFeed.samplesPerSec.toFixed(0)} samples/s)`, target: ">= 20 Hz", ok: withFeed.framesPerSec >= 20 });
    rows.push({
      group: "dashboard",
      metric: "loop p99 period error without / with the feed",
      value: `${p99Without.toFixed(3)} / ${p99With.toFixed(3)} ms`,
      target: "not slower",
      ok: p99With <= allowed,
    });
    rows.push({
      group: "dashboard",
      metric: "loop p99 compute without / with the feed",
      value: `${without.result.stats.p99ComputeMs.toFixed(3)} / ${withFeed.result.stats.p99ComputeMs.toFixed(3)} ms (overruns ${without.result.stats.overruns} / ${withFeed.result.stats.overruns})`,
    });
    return {
      recording: {
        simSeconds,
        repetitions: reps,
        plainTicksPerSec: plain,
        recordedTicksPerSec: recorded,
        costPct,
        perTickUs,
        loopThreadCpuUsPerTick: { without: plainCpu, with: recordedCpu },
        waitUsPerTick: { without: plainWait, with: recordedWait },
        messages: last!.messages,
        bytes: last!.bytes,
      },
      dashboard: {
        rateHz: 500,
        seconds,
        framesPerSec: withFeed.framesPerSec,
        samplesPerSec: withFeed.samplesPerSec,
        without: without.result.stats,
        with: withFeed.result.stats,
      },
      rows,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const res = await benchObservability({ quick: process.argv.includes("--quick") });
  for (const r of res.rows as Row[]) console.log(`${r.group.padEnd(10)} ${r.metric.padEnd(70)} ${r.value.padEnd(48)} ${r.target ?? ""} ${r.ok === undefined ? "" : r.ok ? "ok" : "MISSED"}`);
}
