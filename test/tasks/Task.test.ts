import assert from "node:assert/strict";
import { parseStateSpec } from "../../src/models/StateLayout.js";
import type { RolloutBatch } from "../../src/planning/types.js";
import { Task } from "../../src/tasks/Task.js";
import { TaskError, taskStateSpec, validateTask, type TaskSpec } from "../../src/tasks/TaskSpec.js";

const known = { joints: ["shoulder", "elbow"], muscles: ["a", "b"], sites: ["fingertip", "wrist"] };
const layout = parseStateSpec("joint_angle:*,joint_velocity:*,site_position:fingertip", known);
// joint_angle 0..1, joint_velocity 2..3, fingertip 4..6
const state = (q: [number, number], dq: [number, number], p: [number, number, number]): Float64Array => Float64Array.from([...q, ...dq, ...p]);

function batchOf(states: number[][], actions: number[][], h: number, stepSec = 0.1): RolloutBatch {
  return {
    layout,
    actionDim: actions[0].length,
    n: states.length / h,
    h,
    states: Float32Array.from(states.flat()),
    actions: Float32Array.from(actions.flat()),
    disagreement: undefined,
    start: new Float64Array(layout.size),
    startTimeSec: 0,
    stepSec,
  };
}

describe("tasks", () => {
  it("reach: cost is the fingertip distance plus effort, summed over the horizon; reward is its negative", () => {
    const task = new Task({ kind: "reach", site: "fingertip", target: [0.3, 0.4, 0], effort: 0.5 }, layout);
    const s1 = [0, 0, 0, 0, 0, 0, 0]; // 0.5 m away
    const s2 = [0, 0, 0, 0, 0.3, 0.4, 0]; // at the target
    const b = batchOf([s1, s2, s2, s2], [[1, 0], [0, 0], [0, 0], [0, 0]], 2);
    const costs = new Float64Array(2);
    task.evaluate(b, costs);
    assert.ok(Math.abs(costs[0] - (0.5 + 0.5 * 0.5)) < 1e-6, `cost ${costs[0]}`);
    assert.ok(Math.abs(costs[1]) < 1e-6);
    assert.ok(Math.abs(task.reward(s1, [1, 0], 0) + 0.75) < 1e-9);
  });

  it("reach succeeds when the final distance is inside the radius, whatever happened before", () => {
    const task = new Task({ kind: "reach", site: "fingertip", target: [0.3, 0.4, 0], radiusM: 0.05 }, layout);
    task.observe(state([0, 0], [0, 0], [0.3, 0.4, 0]), 0.1);
    task.observe(state([0, 0], [0, 0], [0.0, 0.0, 0]), 0.2);
    assert.equal(task.result().success, false);
    task.startEpisode();
    task.observe(state([0, 0], [0, 0], [0.0, 0.0, 0]), 0.1);
    task.observe(state([0, 0], [0, 0], [0.32, 0.4, 0]), 0.2);
    const r = task.result();
    assert.equal(r.success, true);
    assert.ok(Math.abs(r.metric - 0.02) < 1e-9);
  });

  it("pose judges the largest joint error of the last state; velocity the second half's mean error", () => {
    const pose = new Task({ kind: "pose", joints: { shoulder: 0.5, elbow: 1 }, toleranceRad: 0.1 }, layout);
    pose.observe(state([0.5, 1.05], [0, 0], [0, 0, 0]), 1);
    assert.equal(pose.result().success, true);
    pose.observe(state([0.5, 1.2], [0, 0], [0, 0, 0]), 2);
    assert.equal(pose.result().success, false);
    assert.ok(Math.abs(pose.result().metric - 0.2) < 1e-9);
    const vel = new Task({ kind: "velocity", joint: "elbow", velocityRadps: 2, toleranceRadps: 0.5, episodeSec: 2 }, layout);
    vel.observe(state([0, 0], [0, -5], [0, 0, 0]), 0.5); // first half: not judged
    vel.observe(state([0, 0], [0, 1.8], [0, 0, 0]), 1.5);
    vel.observe(state([0, 0], [0, 2.2], [0, 0, 0]), 2);
    assert.equal(vel.result().success, true);
  });

  it("path: the target moves linearly between waypoints over durationSec", () => {
    const task = new Task({ kind: "path", site: "fingertip", waypoints: [[0, 0, 0], [1, 0, 0], [1, 1, 0]], durationSec: 2 }, layout);
    // At t = 0.5 s the target is (0.5, 0, 0); at 1.5 s (1, 0.5, 0); after the end the last point.
    assert.ok(Math.abs(task.error(state([0, 0], [0, 0], [0.5, 0, 0]), 0, 0.5)) < 1e-9);
    assert.ok(Math.abs(task.error(state([0, 0], [0, 0], [1, 0.5, 0]), 0, 1.5)) < 1e-9);
    assert.ok(Math.abs(task.error(state([0, 0], [0, 0], [1, 1, 0]), 0, 9)) < 1e-9);
    // The planner's batch uses task time startTimeSec + (t + 1)·stepSec.
    const costs = new Float64Array(1);
    task.evaluate(batchOf([[0, 0, 0, 0, 0.05, 0, 0]], [[0]], 1, 0.05), costs);
    assert.ok(costs[0] < 0.011, `cost ${costs[0]}`);
  });

  it("names the state a task needs, and refuses unknown tasks, sites and joints in one line listing the known ones", () => {
    assert.equal(taskStateSpec({ kind: "reach", site: "wrist", target: [0, 0, 0] }), "site_position:wrist");
    assert.equal(taskStateSpec({ kind: "pose", joints: { elbow: 1, shoulder: 0 } }), "joint_angle:elbow+shoulder");
    const bad: Array<[unknown, RegExp]> = [
      [{ kind: "grasp" }, /unknown task 'grasp': use one of reach, pose, path, velocity/],
      [{ kind: "reach", site: "thumb", target: [0, 0, 0] }, /unknown site 'thumb' for task reach: the model's sites are fingertip, wrist/],
      [{ kind: "reach", target: [0, 0, 0] }, /task reach needs a site/],
      [{ kind: "reach", site: "wrist", target: [0, 0] }, /target must be three numbers/],
      [{ kind: "pose", joints: { knee: 1 } }, /unknown joint 'knee' for task pose: the model's joints are shoulder, elbow/],
      [{ kind: "velocity", joint: "elbow" }, /velocityRadps must be a number/],
      [{ kind: "path", site: "wrist", waypoints: [[0, 0, 0]], durationSec: 1 }, /at least two/],
      [{ kind: "reach", site: "wrist", target: [0, 0, 0], radiusM: 0 }, /radiusM must be a number > 0/],
    ];
    for (const [raw, re] of bad) {
      assert.throws(() => validateTask(raw, known), (e: Error) => e instanceof TaskError && re.test(e.message) && !e.message.includes("\n"), JSON.stringify(raw));
    }
    assert.doesNotThrow(() => validateTask({ kind: "reach", site: "wrist", target: [0, 0, 0] }, known));
  });

  it("refuses a task whose entries the model's state does not hold", () => {
    const spec: TaskSpec = { kind: "reach", site: "wrist", target: [0, 0, 0] };
    assert.throws(() => new Task(spec, layout), (e: Error) => e instanceof TaskError && /site_position 'wrist'/.test(e.message));
  });
});
