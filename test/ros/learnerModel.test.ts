/**
 * The learner node trains a world model too (`intrinsic` set): transition rows reach its worker
 * learner, whose online bonus trains the ensemble; every version goes out on /learner/model
 * (latched, the world_model_v1 codec) with /learner/model_loss, and each scored batch on
 * /learner/intrinsic_reward and /learner/disagreement. Over the ROS transport on the contract
 * fake of rclnodejs. The weights that arrive predict what the same bonus trained here predicts.
 */
import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { observationLayout } from "../../src/intrinsic/OnlineBonus.js";
import { createBonus, LEARN_DEFAULTS } from "../../src/learner/runLearn.js";
import { transitionOffsets, transitionRowSize } from "../../src/learner/split/messages.js";
import { MODEL_LABEL, modelMessage, ModelMessageError, modelMisfit, readModelMessage } from "../../src/learner/split/modelMessages.js";
import { transitionRowsMessage } from "../../src/learner/split/rosMessages.js";
import { initBackend } from "../../src/learner/tf/backend.js";
import { ProbabilisticEnsemble } from "../../src/models/ProbabilisticEnsemble.js";
import type { LearnerNode } from "../../src/nodes/LearnerNode.js";
import { startNodes } from "../../src/nodes/nodeSet.js";
import type { Float64MultiArrayMsg } from "../../src/transport/messages.js";
import { LEARNER_TOPICS, TOPICS } from "../../src/transport/topics.js";
import { RosTransport } from "../../ros/RosTransport.js";
import { FakeRclnodejs } from "./fakeRclnodejs.js";
import { linearRows, until } from "../learner/helpers.js";

describe("learner node: a world model learned on the transition rows", function () {
  this.timeout(120_000);
  before(async () => {
    await initBackend("auto");
  });

  it("world-model messages survive the codec; a message of the wrong shape is one line", () => {
    const m = new ProbabilisticEnsemble(observationLayout(3), 2, { members: 2, hidden: [5, 4], loss: "nll", beta: 0.25 }, 3);
    try {
      m.inputNorm.fit(Float32Array.from({ length: 50 }, (_, i) => Math.sin(i)), 10);
      m.targetNorm.fit(Float32Array.from({ length: 30 }, (_, i) => Math.cos(i)), 10);
      m.version = 12;
      const s = m.state();
      const back = readModelMessage(modelMessage(s, 345));
      assert.equal(back.steps, 345);
      assert.deepEqual(back.state, s);
      assert.equal(readModelMessage(modelMessage(s)).steps, undefined);
      assert.equal(modelMisfit(back.state, s), undefined);
      const msg = modelMessage(s);
      const cut = { ...msg, data: msg.data.subarray(0, msg.data.length - 1) };
      const long = { ...msg, data: Float64Array.from([...msg.data, 0]) };
      const wrongLabel = { ...msg, layout: { ...msg.layout, dim: [{ ...msg.layout.dim[0], label: "policy_snapshot_v1" }] } };
      const badSize = { ...msg, data: Float64Array.from(msg.data, (x, i) => (i === 2 ? 2.5 : x)) };
      for (const [bad, why] of [[cut, /too short/], [long, /1 values too many for 2 members of 5 x 5 x 4 x 6/], [wrongLabel, new RegExp(`labelled '${MODEL_LABEL}'`)], [badSize, /state size must be a non-negative integer, got 2.5/]] as const) {
        assert.throws(() => readModelMessage(bad as Float64MultiArrayMsg), (e: unknown) => e instanceof ModelMessageError && why.test((e as Error).message) && !(e as Error).message.includes("\n"));
      }
      const other = new ProbabilisticEnsemble(observationLayout(3), 2, { members: 2, hidden: [5, 5] }, 3);
      assert.match(modelMisfit(other.state(), s)!, /layers 5 x 5 x 5, the model's 5 x 5 x 4/);
      other.dispose();
    } finally {
      m.dispose();
    }
  });

  it("over the ROS transport (contract fake): versioned weights on /learner/model, losses, intrinsic reward and disagreement", async () => {
    const params = { intrinsic: "disagreement", alpha: 0.2, model_train_every: 100, model_train_steps: 5, model_warmup: 50, model_hidden_sizes: "16,16", model_members: 3, train_policy: false, replay_capacity: 1000, diagnostics_period_sec: 0.2 };
    const rcl = new FakeRclnodejs();
    const rosArgs = Object.entries(params).flatMap(([k, v]) => ["-p", `learner:${k}:=${typeof v === "string" ? JSON.stringify(v) : v}`]);
    const transport = await RosTransport.open(rcl, { rosArgs, program: ["node", "tendon"] });
    const set = await startNodes({ nodes: ["learner"], transport });
    const learner = set.get<LearnerNode>("learner")!;
    const probe = transport.createNode("probe");
    const models: ReturnType<typeof readModelMessage>[] = [];
    const losses: number[][] = [];
    const intrinsic: number[][] = [];
    const disagreement: number[] = [];
    probe.subscribe("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.model).subscribe((m: Float64MultiArrayMsg) => models.push(readModelMessage(m)));
    probe.subscribe("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.modelLoss).subscribe((m: Float64MultiArrayMsg) => losses.push(Array.from(m.data)));
    probe.subscribe("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.intrinsicReward).subscribe((m: Float64MultiArrayMsg) => intrinsic.push(Array.from(m.data)));
    probe.subscribe("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.disagreement).subscribe((m: Float64MultiArrayMsg) => disagreement.push(m.data[0]));
    const pub = probe.createPublisher("std_msgs/msg/Float64MultiArray", TOPICS.transitions);
    const v = { ...params };
    const local = createBonus({ ...LEARN_DEFAULTS, intrinsic: "disagreement", alpha: v.alpha, seed: 0 }, 2, 1, {
      trainEvery: v.model_train_every,
      trainSteps: v.model_train_steps,
      warmup: v.model_warmup,
      capacity: 1000,
      model: { members: 3, hidden: [16, 16] },
      trackDisagreement: true,
    });
    const rebuilt = new ProbabilisticEnsemble(observationLayout(2), 1, { members: 3, hidden: [16, 16] });
    try {
      const rng = new Rng(4);
      const size = transitionRowSize(2, 1);
      const at = transitionOffsets(2, 1);
      for (let block = 0; block < 6; block++) {
        const data = linearRows(rng, 50, 0.5);
        for (let k = 0; k < 50; k++) {
          const r = data.subarray(k * size, (k + 1) * size);
          local.apply(r.subarray(0, 2), r.subarray(at.action, at.action + 1), r.subarray(at.next, at.next + 2), r.subarray(at.reward, at.reward + 1), 1, block * 50 + k);
        }
        pub.publish(transitionRowsMessage(50, 2, 1, data));
      }
      // Updates at 50, 150 and 250 stored rows.
      assert.equal(local.stats(300).modelUpdates, 3);
      await until(() => (learner.learner?.steps ?? 0) >= 300 && models.length >= 3 && intrinsic.length >= 1, 60_000);
      assert.equal(learner.learner!.steps, 300);
      assert.equal(learner.learner!.policies, 0, "train_policy false: no MPO");
      assert.equal(models.length, 3);
      assert.equal(learner.modelUpdates, 3);
      assert.ok(models.every((m, i) => i === 0 || m.state.version > models[i - 1].state.version));
      const last = models.at(-1)!;
      assert.equal(last.state.version, local.model.version);
      assert.equal(last.steps, 250);
      assert.equal(losses.length, 3);
      assert.equal(losses.at(-1)![2], last.state.version);
      assert.ok(Number.isFinite(losses.at(-1)![0]) && Number.isFinite(losses.at(-1)![1]), `losses ${losses.at(-1)}`);
      assert.ok(Number.isNaN(losses[0][1]), "no held-out loss before the first update");
      assert.ok(intrinsic.every((x) => x.length === 2 && x[0] > 0 && x[1] === 0.2), `intrinsic ${JSON.stringify(intrinsic)}`);
      assert.ok(disagreement.length === intrinsic.length && disagreement.every((d, i) => d === intrinsic[i][0]), "disagreement is the bonus here");
      rebuilt.load(last.state);
      const probeS = Float32Array.from({ length: 16 }, (_, i) => Math.sin(3 * i));
      const probeA = Float32Array.from({ length: 8 }, (_, i) => Math.cos(i));
      const theirs = Float32Array.from(rebuilt.predict(probeS, probeA, 8).mean);
      const ours = local.model.predict(probeS, probeA, 8).mean;
      for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(theirs[i] - ours[i]) < 1e-4, `entry ${i}: ${theirs[i]} vs ${ours[i]}`);
      // Latched: a subscriber that comes late gets the newest version.
      const late: number[] = [];
      transport.createNode("late").subscribe("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.model, { depth: 1, reliability: "reliable", durability: "transient_local" } as never).subscribe((m: Float64MultiArrayMsg) => late.push(readModelMessage(m).state.version));
      await until(() => late.length > 0, 2000);
      assert.deepEqual(late, [last.state.version]);
    } finally {
      local.dispose();
      rebuilt.dispose();
      await set.stop();
      await transport.close();
    }
  });
});
