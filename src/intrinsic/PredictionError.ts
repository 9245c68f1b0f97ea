/**
 * Prediction error (ICM-style, Pathak et al. 2017, here in state space rather than a learned
 * feature space): ‖(s' − ŝ') / scale‖₂ per transition, ŝ' the mean of the members' predicted means.
 * High where the model is wrong; decays as the model learns the data the learner sees.
 *
 * Deviation: CEE-US's prediction-error baseline is RND (a random network's features); tendon uses
 * the world model's own error, which needs no second network. `scale` as in Disagreement.
 */
import type { DynamicsModel } from "../models/types.js";
import { checkBatch, stateScale, type IntrinsicSignal, type TransitionBatch } from "./types.js";

export class PredictionError implements IntrinsicSignal {
  readonly name = "prediction-error" as const;
  readonly needsNext = true;
  readonly model: DynamicsModel;
  readonly #scale: Float64Array;

  constructor(model: DynamicsModel, options: { scale?: ArrayLike<number> } = {}) {
    this.model = model;
    const d = model.layout.size;
    this.#scale = stateScale("prediction-error", d, options.scale);
  }

  compute(batch: TransitionBatch, out: Float64Array): void {
    const m = this.model;
    const d = m.layout.size;
    checkBatch(this, batch, d, m.actionDim, out);
    const n = batch.rows;
    const E = m.members;
    const next = batch.next!;
    const p = m.predict(batch.states, batch.actions, n);
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let e = 0; e < E; e++) s += p.mean[(e * n + i) * d + k];
        const err = (next[i * d + k] - s / E) / this.#scale[k];
        sq += err * err;
      }
      out[i] = Math.sqrt(sq);
    }
  }
}
