/**
 * What `tendon node ... --ros --record` observes: over ROS (the contract fake of rclnodejs) the
 * recorder subscribes to the profile's topics before the nodes start, and these include the
 * learner's and the planner's figures; the world model's weights are not recorded.
 */
import assert from "node:assert/strict";
import { FIGURE_TOPICS, TransportRecorder } from "../../src/observability/TransportRecorder.js";
import type { TopicSink } from "../../src/observability/TopicSink.js";
import { createVector } from "../../src/transport/messages.js";
import { QOS_DEFAULT, QOS_LATCHED } from "../../src/transport/Transport.js";
import { LEARNER_TOPICS, PLANNER_TOPICS } from "../../src/transport/topics.js";
import { RosTransport } from "../../ros/RosTransport.js";
import { FakeRclnodejs } from "../ros/fakeRclnodejs.js";
import { until } from "../learner/helpers.js";

describe("TransportRecorder over ROS: the learner's and the planner's figures", () => {
  it("records /learner/model_loss, /learner/intrinsic_reward, /learner/disagreement and /planner/cost, not /learner/model", async () => {
    const transport = await RosTransport.open(new FakeRclnodejs(), { program: ["node", "tendon"] });
    const channels: string[] = [];
    const written = new Map<string, number[][]>();
    const sink: TopicSink = {
      advertise: (topic) => channels.push(topic) - 1,
      write: (channel, message) => {
        const topic = channels[channel];
        written.set(topic, [...(written.get(topic) ?? []), Array.from((message as { data: Float64Array }).data)]);
      },
    };
    const recorder = new TransportRecorder(transport, [sink]);
    try {
      assert.deepEqual(Object.keys(FIGURE_TOPICS).sort(), [LEARNER_TOPICS.disagreement, LEARNER_TOPICS.intrinsicReward, LEARNER_TOPICS.modelLoss, PLANNER_TOPICS.cost, PLANNER_TOPICS.trajectory].sort());
      const learner = transport.createNode("learner");
      const pubs = [LEARNER_TOPICS.modelLoss, LEARNER_TOPICS.intrinsicReward, LEARNER_TOPICS.disagreement, PLANNER_TOPICS.cost].map((t) => [t, learner.createPublisher("std_msgs/msg/Float64MultiArray", t, QOS_DEFAULT)] as const);
      const model = learner.createPublisher("std_msgs/msg/Float64MultiArray", LEARNER_TOPICS.model, QOS_LATCHED);
      pubs.forEach(([, p], i) => {
        const m = createVector(2, "x");
        m.data.set([i, 10 + i]);
        p.publish(m);
      });
      model.publish(createVector(3, "world_model_v1"));
      await until(() => written.size >= 4, 5000);
      pubs.forEach(([topic], i) => assert.deepEqual(written.get(topic), [[i, 10 + i]], topic));
      assert.ok(!channels.includes(LEARNER_TOPICS.model) && !written.has(LEARNER_TOPICS.model));
    } finally {
      recorder.stop();
      await transport.close();
    }
  });
});
