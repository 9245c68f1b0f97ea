/**
 * The actor-learner loop through the transport contract: two actors (a PolicyController on a
 * simulated arm each, streams 0 and 1) publish their transition rows on /transitions, the learner
 * node trains on both streams in its worker learner and publishes versioned policies on /policy,
 * which the actors read back and swap in.
 */
import assert from "node:assert/strict";
import { resolveDepParams } from "../../src/dep/params.js";
import { ReachTask } from "../../src/learner/environments/ReachTask.js";
import { MlpPolicy, type PolicySnapshot } from "../../src/learner/inference/MlpPolicy.js";
import { transitionOffsets } from "../../src/learner/split/messages.js";
import { PolicyController } from "../../src/learner/split/PolicyController.js";
import { policyMessage, readPolicyMessage, readTransitionRows, transitionRowsMessage } from "../../src/learner/split/rosMessages.js";
import { ControlLoop } from "../../src/loop/ControlLoop.js";
import type { LearnerNode } from "../../src/nodes/LearnerNode.js";
import { startNodes } from "../../src/nodes/nodeSet.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import { createMatrix, type Float64MultiArrayMsg } from "../../src/transport/messages.js";
import { TOPICS } from "../../src/transport/topics.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { resolveModelSource } from "../../sim/modelSource.js";

const quiet = (): void => undefined;

async function until(cond: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; waited < ms && !cond(); waited += 50) await new Promise((r) => setTimeout(r, 50));
}

describe("learner node: the actor-learner loop over the transport", function () {
  this.timeout(60_000);

  it("rows and policies survive their messages; the per-muscle matrix is not taken for rows", () => {
    const O = 3;
    const A = 2;
    const data = Float64Array.from({ length: 2 * (2 * O + A + 5) }, (_, i) => i * 0.5);
    const back = readTransitionRows(transitionRowsMessage(2, O, A, data))!;
    assert.deepEqual([back.count, back.observationSize, back.actionSize], [2, O, A]);
    assert.deepEqual(back.data, data);
    assert.equal(readTransitionRows(createMatrix(6, 4, "muscle", "length_m|velocity_mps|force_n|command")), undefined);
    const s: PolicySnapshot = {
      version: 7,
      observationSize: O,
      actionSize: A,
      hiddenSizes: [4],
      kernels: [Float32Array.from({ length: 12 }, (_, i) => i / 7), Float32Array.from({ length: 8 }, (_, i) => -i / 3), Float32Array.from({ length: 8 }, (_, i) => i / 5)],
      biases: [Float32Array.from([0.1, 0.2, 0.3, 0.4]), Float32Array.from([0.5, 0.6]), Float32Array.from([0.7, 0.8])],
      normalizerMean: Float64Array.from([1, 2, 3]),
      normalizerStd: Float64Array.from([4, 5, 6]),
      normalizerClip: 5,
      stdMin: 0.1,
      stdMax: 1,
      steps: 123,
    };
    assert.deepEqual(readPolicyMessage(policyMessage(s)), s);
    // What comes off /policy loads into the actor's forward pass.
    assert.equal(MlpPolicy.from(readPolicyMessage(policyMessage(s))).version, 7);
    const bad = policyMessage(s);
    assert.throws(() => readPolicyMessage({ ...bad, data: bad.data.subarray(0, bad.data.length - 1) }), /too short/);
  });

  it("transitions from two actors (streams 0 and 1) reach the learner, and a trained policy comes back on /policy", async () => {
    const learnerParams = { streams: 2, hidden_sizes: "16,16", batch_size: 32, batch_iterations: 2, steps_before_batches: 100, steps_between_batches: 50, replay_capacity: 10_000 };
    const transport = new InProcessTransport({ log: quiet, parameters: new Map<string, Record<string, unknown>>([["learner", learnerParams]]) });
    const set = await startNodes({ nodes: ["learner"], transport });
    const learner = set.get<LearnerNode>("learner")!;
    const task = new ReachTask({ episodeSteps: 50 });
    const actors = [];
    for (const stream of [0, 1]) {
      const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m"), controlRateHz: 50, seed: 1 + stream });
      await bridge.configure();
      const controller = new PolicyController({ task, mode: "rl", depParams: resolveDepParams(), preTrainingSteps: 0, seed: 1 + stream, stream });
      const node = transport.createNode(`actor${stream}`);
      const pub = node.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.transitions);
      const policies: PolicySnapshot[] = [];
      node.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.policy).subscribe((m: Float64MultiArrayMsg) => {
        const s = readPolicyMessage(m);
        policies.push(s);
        controller.offer(s);
      });
      actors.push({ bridge, controller, pub, policies });
    }
    const sent = [0, 0];
    const streamsSeen = new Set<number>();
    const probe = transport.createNode("probe");
    probe.subscribe("std_msgs/msg/Float64MultiArray", TOPICS.transitions).subscribe((m: Float64MultiArrayMsg) => {
      const rows = readTransitionRows(m);
      if (!rows) return;
      const at = transitionOffsets(rows.observationSize, rows.actionSize);
      const size = rows.data.length / rows.count;
      for (let k = 0; k < rows.count; k++) streamsSeen.add(rows.data[k * size + at.stream]);
    });
    try {
      // The two actors run one after the other, 300 ticks each, their rows sent every 25 ticks.
      for (const [i, a] of actors.entries()) {
        const loop = new ControlLoop({ bridge: a.bridge, controller: a.controller, mode: "lockstep", periodSec: a.bridge.controlPeriodSec, maxTicks: 300 });
        loop.cycles$.subscribe((c) => {
          if (c.tick.index % 25 === 24) {
            const block = a.controller.drainTransitions();
            sent[i] += block.count;
            a.pub.publish(transitionRowsMessage(block.count, block.observationSize, block.actionSize, block.data));
          }
        });
        assert.equal((await loop.run()).ticks, 300);
      }
      assert.deepEqual([...streamsSeen].sort(), [0, 1]);
      assert.equal(learner.rowsReceived, sent[0] + sent[1]);
      // The learner stores one transition of each stream at a time: all of them, as both sent as many.
      assert.equal(sent[0], sent[1]);
      await until(() => (learner.learner?.steps ?? 0) >= sent[0] + sent[1] && learner.policyUpdates >= 2, 30_000);
      const state = learner.learner!;
      assert.equal(state.status, "running");
      assert.equal(state.steps, sent[0] + sent[1]);
      assert.ok(state.updates > 0, "the learner updated");
      for (const a of actors) {
        assert.ok(a.policies.length >= 2, `an actor received ${a.policies.length} policies`);
        const last = a.policies.at(-1)!;
        assert.ok(last.version >= 1, `policy version ${last.version}`);
        assert.equal(last.observationSize, a.controller.observationSize);
        assert.equal(last.actionSize, 6);
        assert.ok((last.steps ?? 0) > 0, "the policy says how many steps it was trained on");
        // The policy comes back into the actor: its next tick runs it.
        const loop = new ControlLoop({ bridge: a.bridge, controller: a.controller, mode: "lockstep", periodSec: a.bridge.controlPeriodSec, maxTicks: 2 });
        await loop.run();
        assert.equal(a.controller.policyVersion, last.version);
      }
      assert.equal(learner.policyUpdates, actors[0].policies.length);
    } finally {
      await set.stop();
      await transport.close();
      for (const a of actors) await a.bridge.shutdown();
    }
  });
});
