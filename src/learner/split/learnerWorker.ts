/**
 * The learner half of the actor-learner split, run in a worker thread so that TensorFlow.js's
 * updates never hold up the control loop's or the environments' thread. It receives transition
 * blocks (rows as in messages.ts), stores them, runs MPO's update rounds when due, and publishes
 * a versioned policy snapshot after each round (or every `publishEveryRounds`).
 *
 * Several streams (environments, robots): the replay keeps one ring per stream for its n-step
 * returns, and stores one transition of every stream at a time, so rows wait here until every
 * stream has one (environments stepped together arrive that way already). A stream more than
 * `maxLagRows` behind the others has its missing rows skipped (its ring just holds fewer).
 *
 * With an intrinsic reward (`learn.intrinsic`), the online bonus lives here too: each round of
 * rows is relabelled r = R + α·R_int before MPO stores it, the bonus's ensemble trains on its own
 * schedule, and after every model update its full state (weights, normalizers, version) is posted
 * to the host ("model"), the weights' buffers transferred. Heartbeats carry the bonus's figures.
 * With `trainPolicy: false` there is no MPO: the worker only learns the world model.
 */
import { parentPort, workerData } from "node:worker_threads";
import { initBackend } from "../tf/backend.js";
import { createAgent, createBonus } from "../runLearn.js";
import { transitionOffsets, transitionRowSize, type HostToLearner, type LearnerToHost, type LearnerWorkerConfig } from "./messages.js";

const config = workerData as LearnerWorkerConfig;
const port = parentPort!;
const post = (m: LearnerToHost): void => port.postMessage(m);

try {
  const backend = await initBackend(config.backend);
  const S = Math.max(1, config.streams ?? 1);
  const trainPolicy = config.trainPolicy ?? true;
  const agent = trainPolicy ? createAgent({ ...config.learn, envs: S }, config.learn.replaySize) : undefined;
  agent?.initialize({ observationSize: config.observationSize, actionSize: config.actionSize, workers: S }, config.learn.seed);
  const bonus = config.learn.intrinsic && config.learn.intrinsic !== "none" ? createBonus(config.learn, config.observationSize, config.actionSize, config.bonus) : undefined;
  // `trained`: the transitions the model has seen (this round's included).
  const postModel = (trained: number): void => {
    const state = bonus!.modelState();
    const transfer = state.weights.flatMap((m) => m.map((a) => a.buffer as ArrayBuffer));
    port.postMessage({ type: "model", state, steps: trained, stats: bonus!.stats(trained) } satisfies LearnerToHost, transfer);
  };
  post({ type: "ready", backend: backend.name });
  if (agent) post({ type: "policy", snapshot: agent.snapshot(), updates: 0, steps: 0 });
  const O = config.observationSize;
  const A = config.actionSize;
  const row = transitionRowSize(O, A);
  const at = transitionOffsets(O, A);
  const every = config.publishEveryRounds ?? 1;
  const maxLag = 1000;
  let steps = 0;
  let rounds = 0;
  const obs = new Float64Array(S * O);
  const act = new Float64Array(S * A);
  const next = new Float64Array(S * O);
  const reward = new Float64Array(S);
  const reset = new Uint8Array(S);
  const term = new Uint8Array(S);
  const pending: Float64Array[][] = Array.from({ length: S }, () => []);

  const storeRound = (): void => {
    for (let s = 0; s < S; s++) {
      const r = pending[s].shift()!;
      obs.set(r.subarray(0, O), s * O);
      act.set(r.subarray(at.action, at.action + A), s * A);
      next.set(r.subarray(at.next, at.next + O), s * O);
      reward[s] = r[at.reward];
      reset[s] = r[at.reset] ? 1 : 0;
      term[s] = r[at.terminated] ? 1 : 0;
    }
    let rewards: ArrayLike<number> = reward;
    if (bonus) {
      const before = bonus.stats(steps).modelUpdates;
      rewards = bonus.apply(obs, act, next, reward, S, steps);
      if (bonus.stats(steps).modelUpdates !== before) postModel(steps + S);
    }
    const updated = agent ? agent.observe(obs, act, next, rewards, reset, term, steps) : false;
    steps += S;
    if (agent && updated && ++rounds % every === 0) post({ type: "policy", snapshot: agent.snapshot(), updates: agent.updates, steps });
  };

  // A model given to start from goes out at once, as the first of this learner's models.
  if (bonus && config.bonus?.initialModel) postModel(0);

  port.on("message", (m: HostToLearner) => {
    if (m.type === "stop") {
      agent?.dispose();
      bonus?.dispose();
      port.close();
      return;
    }
    for (let k = 0; k < m.count; k++) {
      const r = m.data.subarray(k * row, (k + 1) * row);
      const s = Math.min(S - 1, Math.max(0, Math.trunc(r[at.stream]) || 0));
      pending[s].push(r);
      if (pending[s].length > maxLag) {
        // The others are far behind this stream: go on without them (their rings skip these steps).
        for (let o = 0; o < S; o++) if (pending[o].length === 0) pending[o].push(pending[s][0]);
      }
      while (pending.every((p) => p.length > 0)) storeRound();
    }
    post({ type: "heartbeat", steps, updates: agent?.updates ?? 0, ...(bonus ? { bonus: bonus.stats(steps) } : {}) });
  });
} catch (err) {
  post({ type: "error", message: err instanceof Error ? err.message : String(err) });
}
