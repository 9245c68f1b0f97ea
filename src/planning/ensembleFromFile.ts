/**
 * A learned ensemble from a world-model file, as a RolloutModel (TensorFlow.js loads here, lazily).
 */
import { initBackend } from "../learner/tf/backend.js";
import { EnsembleRollout, type Propagation } from "../models/EnsembleRollout.js";
import { ProbabilisticEnsemble } from "../models/ProbabilisticEnsemble.js";
import { layoutOfSpec, readWorldModel, WorldModelFileError, type WorldModelFile } from "./WorldModelFile.js";

export { layoutOfSpec };

export function ensembleFromWorldModel(m: WorldModelFile, file: string, seed = 0): ProbabilisticEnsemble {
  const layout = layoutOfSpec(m.stateSpec);
  if (layout.size !== m.ensemble.stateDim) throw new WorldModelFileError(`world model '${file}': its state spec has ${layout.size} entries, its ensemble ${m.ensemble.stateDim}`);
  const ensemble = new ProbabilisticEnsemble(layout, m.ensemble.actionDim, m.ensemble.config, seed);
  try {
    ensemble.load(m.ensemble);
  } catch (err) {
    ensemble.dispose();
    throw new WorldModelFileError(`world model '${file}': ${(err as Error).message}`);
  }
  return ensemble;
}

export async function ensembleRolloutFromFile(file: string, propagation: Propagation, seed: number): Promise<{ rollout: EnsembleRollout; ensemble: ProbabilisticEnsemble; dispose: () => void }> {
  await initBackend("auto");
  const m = readWorldModel(file);
  const ensemble = ensembleFromWorldModel(m, file, seed);
  const rollout = new EnsembleRollout(ensemble, { propagation, actionLow: Float64Array.from(m.actionLow), actionHigh: Float64Array.from(m.actionHigh), stepSec: m.stepSec, seed });
  return { rollout, ensemble, dispose: () => ensemble.dispose() };
}
