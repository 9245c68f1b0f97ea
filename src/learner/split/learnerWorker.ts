/**
 * The learner half of the actor-learner split, run in a worker thread so that TensorFlow.js's
 * updates never hold up the control loop's thread. It receives transition blocks, stores them,
 * runs MPO's update rounds when due, and publishes a versioned policy snapshot after each round.
 */
import { parentPort, workerData } from "node:worker_threads";
import { initBackend } from "../tf/backend.js";
import { createAgent } from "../runLearn.js";
import type { HostToLearner, LearnerToHost, LearnerWorkerConfig } from "./messages.js";

const config = workerData as LearnerWorkerConfig;
const port = parentPort!;
const post = (m: LearnerToHost): void => port.postMessage(m);

try {
  const backend = await initBackend(config.backend);
  const agent = createAgent(config.learn, config.learn.replaySize);
  agent.initialize({ observationSize: config.observationSize, actionSize: config.actionSize, workers: 1 }, config.learn.seed);
  post({ type: "ready", backend: backend.name });
  post({ type: "policy", snapshot: agent.snapshot(), updates: 0, steps: 0 });
  const O = config.observationSize;
  const A = config.actionSize;
  const row = 2 * O + A + 2;
  const every = config.publishEveryRounds ?? 1;
  let steps = 0;
  let rounds = 0;
  const reward = new Float64Array(1);
  const reset = new Uint8Array(1);
  const none = new Uint8Array(1);
  port.on("message", (m: HostToLearner) => {
    if (m.type === "stop") {
      agent.dispose();
      port.close();
      return;
    }
    for (let k = 0; k < m.count; k++) {
      const b = k * row;
      reward[0] = m.data[b + O + A];
      reset[0] = m.data[b + 2 * O + A + 1];
      const updated = agent.observe(m.data.subarray(b, b + O), m.data.subarray(b + O, b + O + A), m.data.subarray(b + O + A + 1, b + 2 * O + A + 1), reward, reset, none, steps);
      steps++;
      if (updated && ++rounds % every === 0) post({ type: "policy", snapshot: agent.snapshot(), updates: agent.updates, steps });
    }
    post({ type: "heartbeat", steps, updates: agent.updates });
  });
} catch (err) {
  post({ type: "error", message: err instanceof Error ? err.message : String(err) });
}
