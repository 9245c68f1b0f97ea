import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { copySensorFrame, type SensorFrame } from "../../src/core/frames.js";
import { DepController } from "../../src/dep/DepController.js";
import { ControlLoop } from "../../src/loop/ControlLoop.js";
import { LoopRecorder, type LoopRecorderFileOptions } from "../../src/observability/LoopRecorder.js";
import { epochNowNs, type RecorderStats } from "../../src/observability/McapRecorder.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { resolveModelSource } from "../../sim/modelSource.js";

/** Polls `probe` until it gives a value (errors count as "not yet"); throws naming `what` after `tries`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 300, everyMs = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tendon-${prefix}-`));
}

export interface RecordedRun {
  readonly stats: RecorderStats;
  readonly frames: SensorFrame[];
  readonly commands: Float64Array[];
  readonly ticks: number;
  readonly muscles: string[];
  readonly joints: string[];
}

/** A lockstep DEP run on the built-in arm, every profile topic recorded to `file` (as `tendon sim --record` does). */
export async function recordSim(file: string, options: { ticks?: number; recorder?: Partial<LoopRecorderFileOptions> } = {}): Promise<RecordedRun> {
  const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m"), controlRateHz: 50, seed: 1 });
  await bridge.configure();
  try {
    const spec = bridge.spec;
    const controller = new DepController();
    const recorder = await LoopRecorder.open({ path: file, originNs: epochNowNs(), ...options.recorder });
    const ticks = options.ticks ?? 200;
    let loop: ControlLoop | undefined = undefined;
    recorder.configure({ spec, controllerName: controller.name, matrix: () => controller.matrix(), stats: () => loop!.stats.summary(), simulated: true });
    loop = new ControlLoop({ bridge, controller, mode: "lockstep", periodSec: bridge.controlPeriodSec, maxTicks: ticks, stages: [recorder.controllerStage()] });
    const frames: SensorFrame[] = [];
    const commands: Float64Array[] = [];
    const sub = loop.cycles$.subscribe((c) => {
      recorder.onCycle(c);
      frames.push(copySensorFrame(c.frame));
      commands.push(c.command.values.slice());
    });
    await loop.run();
    sub.unsubscribe();
    const stats = await recorder.close();
    return { stats, frames, commands, ticks, muscles: spec.muscles.map((m) => m.name), joints: spec.joints.map((j) => j.name) };
  } finally {
    await bridge.shutdown();
  }
}
