/**
 * Ensemble disagreement (Plan2Explore, Sekar et al. 2020; CEE-US, Sancaktar et al. 2022): per
 * transition, the sum over state entries of the unbiased std over members of the predicted next
 * state. Zero when every member predicts the same; grows where the members have seen no data.
 *
 * Deviation from CEE-US: each entry's std is divided by `scale` (by default the model's target
 * std, i.e. z-scored units) instead of being summed in raw observation units, because a muscle
 * arm's state mixes newtons, metres and radians. Pass a scale of ones for CEE-US's raw units.
 * As a planning cost, use the rollout's own per-step disagreement (EnsembleRollout, "members").
 */
import type { DynamicsModel } from "../models/types.js";
import { checkBatch, stateScale, type IntrinsicSignal, type TransitionBatch } from "./types.js";

export class Disagreement implements IntrinsicSignal {
  readonly name = "disagreement" as const;
  readonly needsNext = false;
  readonly model: DynamicsModel;
  readonly #scale: Float64Array;

  constructor(model: DynamicsModel, options: { scale?: ArrayLike<number> } = {}) {
    this.model = model;
    const d = model.layout.size;
    this.#scale = stateScale("disagreement", d, options.scale);
  }

  compute(batch: TransitionBatch, out: Float64Array): void {
    const m = this.model;
    const d = m.layout.size;
    checkBatch(this, batch, d, m.actionDim, out);
    const n = batch.rows;
    const E = m.members;
    if (E < 2) {
      out.fill(0, 0, n);
      return;
    }
    const p = m.predict(batch.states, batch.actions, n);
    for (let i = 0; i < n; i++) {
      let u = 0;
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let e = 0; e < E; e++) s += p.mean[(e * n + i) * d + k];
        const mu = s / E;
        let v = 0;
        for (let e = 0; e < E; e++) {
          const x = p.mean[(e * n + i) * d + k] - mu;
          v += x * x;
        }
        u += Math.sqrt(v / (E - 1)) / this.#scale[k];
      }
      out[i] = u;
    }
  }
}
