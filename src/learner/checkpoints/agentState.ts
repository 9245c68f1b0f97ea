/**
 * What an MPO agent saves: weights of all four networks, the optimizers' moments and step
 * counts, the dual variables, the observation normalizer, counters and random state, and
 * optionally the replay's transitions. `saveAgent` returns header fields and arrays for the
 * checkpoint container; `loadAgent` restores them into an agent initialized with the same spaces
 * and sizes, so that the next action and the next update are the ones the saved agent would
 * have produced.
 */
import type { Mpo } from "../agents/Mpo.js";
import type { AdamState } from "../optimizers/Adam.js";
import { CheckpointError } from "./CheckpointFile.js";

type Arrays = Map<string, Float32Array | Float64Array | Uint32Array | Uint8Array>;

function putAdam(arrays: Arrays, prefix: string, s: AdamState): number {
  s.m.forEach((a, i) => arrays.set(`${prefix}/m/${i}`, a));
  s.v.forEach((a, i) => arrays.set(`${prefix}/v/${i}`, a));
  return s.step;
}

function getAdam(arrays: ReadonlyMap<string, unknown>, prefix: string, count: number, step: number): AdamState {
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const a = arrays.get(`${prefix}/m/${i}`);
    const b = arrays.get(`${prefix}/v/${i}`);
    if (!(a instanceof Float32Array) || !(b instanceof Float32Array)) throw new CheckpointError(`checkpoint lacks optimizer state '${prefix}' ${i}`);
    m.push(a);
    v.push(b);
  }
  return { step, m, v };
}

export function saveAgent(agent: Mpo, arrays: Arrays, withReplay: boolean): Record<string, unknown> {
  for (const [k, w] of Object.entries(agent.model.weights())) arrays.set(`weights/${k}`, w);
  const critic = putAdam(arrays, "adam/critic", agent.criticUpdater.optimizer.state());
  const actor = putAdam(arrays, "adam/actor", agent.actorUpdater.actorOptimizer.state());
  const dual = putAdam(arrays, "adam/dual", agent.actorUpdater.dualOptimizer.state());
  agent.actorUpdater.duals().forEach((d, i) => arrays.set(`duals/${i}`, d));
  const n = agent.model.normalizer.state();
  arrays.set("normalizer/mean", n.mean);
  arrays.set("normalizer/meanSq", n.meanSq);
  arrays.set("normalizer/std", n.std);
  arrays.set("normalizer/pendingSum", n.pending!.sum);
  arrays.set("normalizer/pendingSumSq", n.pending!.sumSq);
  const c = agent.counters();
  arrays.set("rng/agent", c.rng);
  arrays.set("rng/updaters", c.updaterRng);
  const r = agent.replay.state(withReplay);
  arrays.set("rng/replay", r.rng);
  if (r.arrays) for (const [k, a] of Object.entries(r.arrays)) arrays.set(`replay/${k}`, a);
  return {
    spaces: agent.spaces,
    actorSizes: agent.model.actorSizes,
    criticSizes: agent.model.criticSizes,
    updates: c.updates,
    version: c.version,
    adamSteps: { critic, actor, dual },
    normalizerCount: n.count,
    normalizerPending: n.pending!.count,
    replay: { index: r.index, size: r.size, lastRound: r.lastRound, saved: Boolean(r.arrays) },
  };
}

export function loadAgent(agent: Mpo, header: Record<string, any>, arrays: ReadonlyMap<string, any>): void {
  const a = header.agent;
  if (!a) throw new CheckpointError("checkpoint holds no agent");
  const s = agent.spaces;
  if (a.spaces.observationSize !== s.observationSize || a.spaces.actionSize !== s.actionSize || a.spaces.workers !== s.workers) {
    throw new CheckpointError(
      `checkpoint agent has ${a.spaces.observationSize} observations, ${a.spaces.actionSize} actions, ${a.spaces.workers} environments; this run has ${s.observationSize}, ${s.actionSize}, ${s.workers}`,
    );
  }
  const weights: Record<string, Float32Array> = {};
  for (const [k, v] of arrays) if (k.startsWith("weights/")) weights[k.slice(8)] = v;
  try {
    agent.model.loadWeights(weights);
  } catch (err) {
    throw new CheckpointError(`checkpoint does not fit this model (hidden sizes differ?): ${(err as Error).message}`);
  }
  agent.criticUpdater.optimizer.load(getAdam(arrays, "adam/critic", agent.criticUpdater.optimizer.variables.length, a.adamSteps.critic));
  agent.actorUpdater.actorOptimizer.load(getAdam(arrays, "adam/actor", agent.actorUpdater.actorOptimizer.variables.length, a.adamSteps.actor));
  agent.actorUpdater.dualOptimizer.load(getAdam(arrays, "adam/dual", agent.actorUpdater.dualOptimizer.variables.length, a.adamSteps.dual));
  const duals: Float32Array[] = [];
  for (let i = 0; arrays.has(`duals/${i}`); i++) duals.push(arrays.get(`duals/${i}`));
  agent.actorUpdater.loadDuals(duals);
  agent.model.normalizer.load({
    mean: arrays.get("normalizer/mean"),
    meanSq: arrays.get("normalizer/meanSq"),
    std: arrays.get("normalizer/std"),
    count: a.normalizerCount,
    pending: arrays.has("normalizer/pendingSum")
      ? { sum: arrays.get("normalizer/pendingSum"), sumSq: arrays.get("normalizer/pendingSumSq"), count: a.normalizerPending ?? 0 }
      : undefined,
  });
  const replayArrays = a.replay.saved
    ? Object.fromEntries(["observations", "nextObservations", "actions", "rewards", "discounts", "resets"].map((k) => [k, arrays.get(`replay/${k}`)]))
    : undefined;
  agent.replay.load({ index: a.replay.index, size: a.replay.size, lastRound: a.replay.lastRound, rng: arrays.get("rng/replay"), arrays: replayArrays });
  agent.loadCounters({ updates: a.updates, version: a.version, rng: arrays.get("rng/agent"), updaterRng: arrays.get("rng/updaters") });
}
