/** A small world-model file for planner tests: muscle lengths and forces of `muscles` (or another state spec), random weights. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ProbabilisticEnsemble } from "../../src/models/ProbabilisticEnsemble.js";
import { formatStateSpec, parseStateSpec } from "../../src/models/StateLayout.js";
import { writeWorldModel } from "../../src/planning/WorldModelFile.js";

/** Writes `model.json` into a new temporary folder (the caller removes `dir`); the ensemble: 3 members, one hidden layer of 16, MSE. */
export function writeTestWorldModel(muscles: readonly string[], stepSec: number, stateSpec = "muscle_length:*,muscle_force:*"): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-world-model-"));
  const layout = parseStateSpec(stateSpec, { joints: [], muscles: [...muscles] });
  const ensemble = new ProbabilisticEnsemble(layout, muscles.length, { members: 3, hidden: [16], loss: "mse" }, 0);
  const file = path.join(dir, "model.json");
  try {
    writeWorldModel(file, { format: "tendon-world-model", version: 1, body: "test", stateSpec: formatStateSpec(layout), stepSec, actionLow: muscles.map(() => 0), actionHigh: muscles.map(() => 1), transitions: 0, ensemble: ensemble.state() });
  } finally {
    ensemble.dispose();
  }
  return { dir, file };
}
