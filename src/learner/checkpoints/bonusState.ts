/**
 * What an online intrinsic-reward bonus (src/intrinsic/OnlineBonus.ts) saves in a learner
 * checkpoint: its ensemble's weights and normalizers, Adam's moments and step count, its counters
 * and, with the replay (`withData`), its stored transitions. `saveBonus` returns the header field
 * and puts the arrays into the container's map; `loadBonus` restores them, so that the next score
 * and the next model update are the ones the saved bonus would have produced.
 *
 * Arrays: `bonus/<member>/<i>` (kernel, bias per layer), `bonus/adam/m/<i>` and `bonus/adam/v/<i>`
 * (one per variable, in the same order), `bonus/data/{states,actions,next}`. Checkpoints written
 * before Adam's state was saved load their weights and normalizers only (Adam starts afresh).
 */
import type { OnlineBonus, OnlineBonusState } from "../../intrinsic/OnlineBonus.js";
import type { EnsembleState } from "../../models/ProbabilisticEnsemble.js";
import { CheckpointError } from "./CheckpointFile.js";

type Arrays = Map<string, Float32Array | Float64Array | Uint32Array | Uint8Array>;

/** The header field `bonus` of a learner checkpoint. */
export interface BonusHeader extends Omit<EnsembleState, "weights"> {
  readonly updates: number;
  /** Arrays per member. */
  readonly arrays: number[];
  readonly adamStep?: number;
  readonly count?: number;
  readonly head?: number;
  readonly sinceTrain?: number;
  readonly lastIntrinsic?: number | null;
  readonly lastDisagreement?: number | null;
  readonly modelLoss?: number | null;
  readonly holdoutLoss?: number | null;
  readonly data?: boolean;
}

export function saveBonus(bonus: OnlineBonus, arrays: Arrays, withData: boolean): BonusHeader {
  const s = bonus.exportState(withData);
  const { weights, ...model } = s.model;
  weights.forEach((member, e) => member.forEach((a, i) => arrays.set(`bonus/${e}/${i}`, a)));
  s.adam.m.forEach((a, i) => arrays.set(`bonus/adam/m/${i}`, a));
  s.adam.v.forEach((a, i) => arrays.set(`bonus/adam/v/${i}`, a));
  if (s.data) {
    arrays.set("bonus/data/states", s.data.states);
    arrays.set("bonus/data/actions", s.data.actions);
    arrays.set("bonus/data/next", s.data.next);
  }
  return {
    ...model,
    updates: s.updates,
    arrays: weights.map((m) => m.length),
    adamStep: s.adam.step,
    count: s.count,
    head: s.head,
    sinceTrain: s.sinceTrain,
    // JSON has no NaN: null stands for it.
    lastIntrinsic: s.lastIntrinsic,
    lastDisagreement: Number.isNaN(s.lastDisagreement) ? null : s.lastDisagreement,
    modelLoss: Number.isNaN(s.modelLoss) ? null : s.modelLoss,
    holdoutLoss: Number.isNaN(s.holdoutLoss) ? null : s.holdoutLoss,
    data: Boolean(s.data),
  };
}

/**
 * Restores a bonus from a checkpoint's header field and arrays. Throws CheckpointError in one line
 * (and changes nothing) when arrays are missing or the model's shapes do not fit this run's bonus.
 */
export function loadBonus(bonus: OnlineBonus, h: BonusHeader | undefined, arrays: ReadonlyMap<string, unknown>, label: string): void {
  if (!h) throw new CheckpointError(`${label} holds no intrinsic-reward model: resume without --intrinsic, or start a new run`);
  const f32 = (name: string): Float32Array => {
    const a = arrays.get(name);
    if (!(a instanceof Float32Array)) throw new CheckpointError(`${label} lacks the intrinsic-reward model's array ${name}`);
    return a;
  };
  if (!Array.isArray(h.arrays)) throw new CheckpointError(`${label} has a damaged intrinsic-reward model header`);
  const weights = h.arrays.map((count, e) => Array.from({ length: count }, (_, i) => f32(`bonus/${e}/${i}`)));
  const { updates, arrays: _counts, adamStep, count, head, sinceTrain, lastIntrinsic, lastDisagreement, modelLoss, holdoutLoss, data, ...rest } = h;
  const model: EnsembleState = { ...rest, weights };
  const fits = (): void => {
    const mine = bonus.model;
    const layersWant = mine.config.hidden.length + 1;
    const why =
      model.stateDim !== mine.stateDim
        ? `state size ${model.stateDim}, this run's ${mine.stateDim}`
        : model.actionDim !== mine.actionDim
          ? `action size ${model.actionDim}, this run's ${mine.actionDim}`
          : weights.length !== mine.members
            ? `${weights.length} members, this run's ${mine.members}`
            : weights.some((m) => m.length !== 2 * layersWant)
              ? `${weights[0].length / 2} layers, this run's ${layersWant}`
              : undefined;
    if (why) throw new CheckpointError(`${label}: its intrinsic-reward model does not fit this run (${why}): resume with the run's own checkpoint, or start a new run`);
  };
  fits();
  if (adamStep === undefined) {
    // An older checkpoint: weights and normalizers only.
    try {
      bonus.loadModelState(model, updates);
    } catch (err) {
      throw new CheckpointError(`${label}: its intrinsic-reward model does not fit this run: ${(err as Error).message}`);
    }
    return;
  }
  const variables = weights.reduce((n, m) => n + m.length, 0);
  const adam = { step: adamStep, m: Array.from({ length: variables }, (_, i) => f32(`bonus/adam/m/${i}`)), v: Array.from({ length: variables }, (_, i) => f32(`bonus/adam/v/${i}`)) };
  const num = (v: number | null | undefined): number => (typeof v === "number" ? v : NaN);
  const state: OnlineBonusState = {
    model,
    adam,
    count: count ?? 0,
    head: head ?? 0,
    sinceTrain: sinceTrain ?? 0,
    updates,
    lastIntrinsic: num(lastIntrinsic),
    lastDisagreement: num(lastDisagreement),
    modelLoss: num(modelLoss),
    holdoutLoss: num(holdoutLoss),
    ...(data ? { data: { states: f32("bonus/data/states"), actions: f32("bonus/data/actions"), next: f32("bonus/data/next") } } : {}),
  };
  try {
    bonus.importState(state);
  } catch (err) {
    throw new CheckpointError(`${label}: its intrinsic-reward model does not fit this run: ${(err as Error).message}`);
  }
}
