import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { copySensorFrame, type SensorFrame } from "../../src/core/frames.js";
import { DepController } from "../../src/dep/DepController.js";
import { ControlLoop } from "../../src/loop/ControlLoop.js";
import { LoopTopics } from "../../src/observability/LoopTopics.js";
import { McapRecorder, type McapRecorderOptions, type RecorderStats } from "../../src/observability/McapRecorder.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { resolveModelSource } from "../../sim/modelSource.js";

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

/** A lockstep DEP run on the built-in arm, every profile topic recorded to `file`. */
export async function recordSim(file: string, options: { ticks?: number; recorder?: Partial<McapRecorderOptions> } = {}): Promise<RecordedRun> {
  const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m"), controlRateHz: 50, seed: 1 });
  await bridge.configure();
  try {
    const spec = bridge.spec;
    const controller = new DepController();
    const recorder = await McapRecorder.open({ path: file, ...options.recorder });
    const ticks = options.ticks ?? 200;
    let loop: ControlLoop | undefined = undefined;
    const topics = new LoopTopics({ spec, controllerName: controller.name, matrix: () => controller.matrix(), stats: () => loop!.stats.summary(), simulated: true });
    topics.addSink(recorder);
    loop = new ControlLoop({ bridge, controller, mode: "lockstep", periodSec: bridge.controlPeriodSec, maxTicks: ticks, stages: [topics.controllerStage()] });
    const frames: SensorFrame[] = [];
    const commands: Float64Array[] = [];
    const sub = loop.cycles$.subscribe((c) => {
      topics.onCycle(c);
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
