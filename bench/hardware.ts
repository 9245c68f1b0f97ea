/**
 * Muscle-board link benchmark:
 * - codec: encode + decode cost of one 8-muscle STATUS frame and one 8-muscle COMMAND frame
 *   (preallocated buffers, the control-rate path), per frame;
 * - link: 8 muscles on one simulated board (`tendon board-sim --plant motors`, its own process)
 *   over a pseudo-terminal, status and command at 500 Hz through the real-time loop, for 60 s:
 *   CRC errors on the clean link, command-to-status round trip, drops, loop timing.
 * Targets: 0 CRC errors; p99 round trip <= 2 ms; encode + decode <= 5 µs per frame.
 *
 * Alone: `node --import tsx bench/hardware.ts [seconds]` (or TENDON_BENCH_HW_SEC=10).
 */
import { NodeTimer } from "../src/loop/ticks.js";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UniformNoiseController } from "../src/dep/UniformNoiseController.js";
import { ControlLoop } from "../src/loop/ControlLoop.js";
import { MuscleBoardBridge } from "../hardware/MuscleBoardBridge.js";
import { FrameDecoder } from "../hardware/protocol/FrameDecoder.js";
import { FrameEncoder } from "../hardware/protocol/FrameEncoder.js";
import { MsgType } from "../hardware/protocol/constants.js";
import { CommandBuffers, readCommandInto, readStatusInto, StatusBuffers, writeCommand, writeStatus } from "../hardware/protocol/messages.js";
import { printRows, type Row } from "./rows.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

export interface BenchHardwareOptions {
  readonly quick?: boolean;
  /** Link run length (s). Default 60 (5 with `quick`); TENDON_BENCH_HW_SEC overrides. */
  readonly durationSec?: number;
  readonly muscles?: number;
  readonly rateHz?: number;
}


/** Median µs per frame of encode + decode, over batches. */
export function benchCodec(muscles = 8): { statusUs: number; commandUs: number; statusBytes: number; commandBytes: number } {
  const enc = new FrameEncoder();
  const status = new StatusBuffers();
  status.muscleCount = muscles;
  status.jointCount = 0;
  for (let i = 0; i < muscles; i++) {
    status.positionCounts[i] = 123456 + i;
    status.velocityCountsPerSec[i] = -2500 * i;
    status.displacementCounts[i] = 1300 + i;
    status.forceMilliN[i] = 59000 + 17 * i;
    status.currentCounts[i] = 40 + i;
    status.outputCentiPercent[i] = 250 * i;
    status.mode[i] = 1;
  }
  const command = new CommandBuffers();
  command.muscleCount = muscles;
  for (let i = 0; i < muscles; i++) {
    command.mode[i] = 1;
    command.setpoint[i] = 2500 + i;
  }
  const statusOut = new StatusBuffers();
  const commandOut = new CommandBuffers();
  let got = 0;
  const decoder = new FrameDecoder((f) => {
    if (f.type === MsgType.Status ? readStatusInto(f, statusOut) : readCommandInto(f, commandOut)) got++;
  });
  let statusBytes = 0;
  let commandBytes = 0;
  const one = (kind: "status" | "command", seq: number): void => {
    if (kind === "status") {
      status.boardTimeUs = seq;
      enc.begin(1, MsgType.Status, seq & 0xffff);
      writeStatus(enc, status);
      const b = enc.finish();
      statusBytes = b.length;
      decoder.push(b);
    } else {
      enc.begin(1, MsgType.Command, seq & 0xffff);
      writeCommand(enc, command);
      const b = enc.finish();
      commandBytes = b.length;
      decoder.push(b);
    }
  };
  const measure = (kind: "status" | "command"): number => {
    const batch = 20_000;
    for (let k = 0; k < batch; k++) one(kind, k); // warm-up
    const samples: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      for (let k = 0; k < batch; k++) one(kind, k);
      samples.push(((performance.now() - t0) * 1000) / batch);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)];
  };
  const statusUs = measure("status");
  const commandUs = measure("command");
  if (got === 0) throw new Error("benchCodec: nothing decoded");
  return { statusUs, commandUs, statusBytes, commandBytes };
}

/** Starts `tendon board-sim` in its own process; resolves with its port and a stop function. */
async function startBoardSim(args: string[]): Promise<{ port: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "src", "cli", "run.ts"), "board-sim", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`board-sim did not start: ${err}`)), 30_000);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /^port (\S+)/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`board-sim exited (${code}): ${err}`));
    });
  });
  return {
    port,
    stop: async () => {
      child.kill("SIGINT");
      await closed;
    },
  };
}

export async function benchHardware(options: BenchHardwareOptions = {}): Promise<Record<string, unknown>> {
  const envSec = Number(process.env.TENDON_BENCH_HW_SEC);
  const durationSec = Number.isFinite(envSec) && envSec > 0 ? envSec : (options.durationSec ?? (options.quick ? 5 : 60));
  const muscles = options.muscles ?? 8;
  const rateHz = options.rateHz ?? 500;

  const codec = benchCodec(muscles);

  const sim = await startBoardSim(["--plant", "motors", "--muscles", String(muscles), "--rate", String(rateHz)]);
  let link: ReturnType<MuscleBoardBridge["linkCounters"]>;
  let loopStats: Record<string, unknown>;
  let cpuFraction = 0;
  try {
    // Watchdogs of 500 ms: a scheduling stall of a shared machine should show in the round trip,
    // not turn into a reconnect.
    const bridge = new MuscleBoardBridge({ ports: [{ path: sim.port }], statusRateHz: rateHz, hostWatchdogMs: 500, boardWatchdogMs: 500 });
    await bridge.configure();
    const loop = new ControlLoop({
      bridge,
      controller: new UniformNoiseController({ seed: 1 }),
      mode: "realtime",
      periodSec: 1 / rateHz,
      maxTicks: Math.round((durationSec + 1) * rateHz),
      timer: new NodeTimer(),
    });
    // The first second warms up both processes (JIT); round trips are counted after it.
    const warm = setTimeout(() => bridge.resetRoundTrip(), 1000);
    const result = await loop.run();
    clearTimeout(warm);
    link = bridge.linkCounters();
    loopStats = { ...result.stats };
    cpuFraction = result.cpuFraction;
    await bridge.shutdown();
  } finally {
    await sim.stop();
  }

  const rt = link.roundTrip;
  const rows: Row[] = [
    { group: "hardware", metric: `codec: ${muscles}-muscle status encode+decode (${codec.statusBytes} B)`, value: `${codec.statusUs.toFixed(2)} µs`, target: "<= 5 µs", ok: codec.statusUs <= 5 },
    { group: "hardware", metric: `codec: ${muscles}-muscle command encode+decode (${codec.commandBytes} B)`, value: `${codec.commandUs.toFixed(2)} µs`, target: "<= 5 µs", ok: codec.commandUs <= 5 },
    { group: "hardware", metric: `link ${rateHz} Hz x ${durationSec} s: CRC errors (clean pty)`, value: String(link.crcErrors), target: "0", ok: link.crcErrors === 0 },
    { group: "hardware", metric: "link: command-to-status round trip p99", value: `${rt.p99Ms.toFixed(3)} ms (p50 ${rt.p50Ms.toFixed(3)}, max ${rt.maxMs.toFixed(3)})`, target: "<= 2 ms", ok: rt.p99Ms <= 2 },
    { group: "hardware", metric: "link: status frames, drops, resyncs, reconnects", value: `${link.statusFrames}, ${link.drops}, ${link.resyncs}, ${link.reconnects}` },
  ];
  return {
    durationSec,
    muscles,
    rateHz,
    codec,
    link,
    loop: loopStats,
    hostCpuFraction: cpuFraction,
    rows,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const arg = Number(process.argv[2]);
  const res = await benchHardware(Number.isFinite(arg) && arg > 0 ? { durationSec: arg } : {});
  printRows(res.rows as Row[]);
  const { rows: _rows, ...rest } = res;
  console.log(JSON.stringify(rest));
}
