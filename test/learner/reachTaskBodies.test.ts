import assert from "node:assert/strict";
import { UserError } from "../../src/core/errors.js";
import type { RobotSpec } from "../../src/core/spec.js";
import { ReachTask } from "../../src/learner/environments/ReachTask.js";

const body = (joints: string[]): RobotSpec => ({ name: "body", muscles: [], joints: joints.map((name) => ({ name, rangeRad: [-1, 1] })), commandUnit: "activation" });

describe("ReachTask bodies", () => {
  it("accepts the built-in arm and refuses other bodies, whose fingertip its planar kinematics would misplace", () => {
    const task = new ReachTask();
    assert.doesNotThrow(() => task.check(body(["shoulder", "elbow"])));
    for (const joints of [["elbow"], ["r_shoulder_elev", "r_elbow_flex"], ["shoulder", "elbow", "wrist"]]) {
      assert.throws(() => task.check(body(joints)), (e: Error) => e instanceof UserError && /planar kinematics fit the built-in arm2j6m/.test(e.message) && /tendon plan --task reach/.test(e.message));
    }
  });

  it("with its own link lengths, accepts any body with that many joints", () => {
    const task = new ReachTask({ arm: { linksM: [0.2, 0.2] } });
    assert.doesNotThrow(() => task.check(body(["a", "b"])));
    assert.throws(() => task.check(body(["a"])), UserError);
  });
});
