import assert from "node:assert/strict";
import { createMuscleCommand } from "../../src/core/frames.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { MujocoRolloutModel } from "../../sim/MujocoRolloutModel.js";
import { resolveModelSource } from "../../sim/modelSource.js";
import { Rng } from "../../src/core/rng.js";
import { StateSpecError } from "../../src/models/StateLayout.js";

const source = resolveModelSource("arm2j6m");
const spec = "joint_angle:*,joint_velocity:*,muscle_activation:*,site_position:fingertip";

describe("MujocoRolloutModel", () => {
  let bridge: MujocoBridge;
  let model: MujocoRolloutModel;
  before(async () => {
    bridge = new MujocoBridge({ source, frameSkip: 10, seed: 4 });
    await bridge.configure();
    await bridge.activate();
    model = await MujocoRolloutModel.create({ source, stateSpec: spec, stepSec: bridge.controlPeriodSec });
  });
  after(async () => {
    model.delete();
    await bridge.shutdown();
  });

  it("rolls out from the running simulation's state exactly as the simulation itself moves", () => {
    const rng = new Rng(2);
    const cmd = createMuscleCommand(bridge.spec);
    // Move the simulation somewhere first.
    for (let k = 0; k < 5; k++) {
      for (let j = 0; j < 6; j++) cmd.values[j] = rng.next();
      bridge.write(0, 0, cmd);
      bridge.advance(bridge.controlPeriodSec);
    }
    model.syncFrom(bridge);
    const h = 8;
    const actions = new Float32Array(2 * h * 6);
    for (let k = 0; k < actions.length; k++) actions[k] = rng.next();
    const states = new Float32Array(2 * h * model.layout.size);
    model.rollout(new Float64Array(0), actions, 2, h, { states });
    // Drive the simulation with the second sequence and compare every step.
    const ids = Int32Array.of(bridge.siteNames.indexOf("fingertip"));
    const tip = new Float64Array(3);
    for (let t = 0; t < h; t++) {
      for (let j = 0; j < 6; j++) cmd.values[j] = actions[(h + t) * 6 + j];
      bridge.write(0, 0, cmd);
      bridge.advance(bridge.controlPeriodSec);
      const row = (h + t) * model.layout.size;
      const qpos = bridge.raw.data.qpos as Float64Array;
      assert.ok(Math.abs(states[row] - qpos[0]) < 1e-5 && Math.abs(states[row + 1] - qpos[1]) < 1e-5, `step ${t}: joints differ`);
      bridge.readSitePositions(ids, tip);
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(states[row + 10 + c] - tip[c]) < 1e-5, `step ${t}: fingertip differs`);
    }
    // The first sequence differs from the second, so its states must too.
    assert.ok(Math.abs(states[(h - 1) * model.layout.size] - states[(2 * h - 1) * model.layout.size]) > 1e-4);
  });

  it("without a snapshot, starts from the joint angles and velocities in `start`", async () => {
    const fresh = await MujocoRolloutModel.create({ source, stateSpec: "joint_angle:*,joint_velocity:*", stepSec: 0.02 });
    try {
      const start = Float64Array.of(0.4, 1.1, 0, 0);
      const states = new Float32Array(4);
      fresh.rollout(start, new Float32Array(6), 1, 1, { states });
      // Zero activation and zero velocity: the arm barely moves in 20 ms.
      assert.ok(Math.abs(states[0] - 0.4) < 0.01 && Math.abs(states[1] - 1.1) < 0.01, `${states[0]}, ${states[1]}`);
      fresh.readState(new Float64Array(4));
    } finally {
      fresh.delete();
    }
  });

  it("draws reachable site positions from forward kinematics inside the joint ranges", () => {
    const rng = new Rng(1);
    for (let k = 0; k < 20; k++) {
      const [x, y, z] = model.randomSitePosition("fingertip", rng);
      const r = Math.hypot(x, y);
      assert.ok(r <= 0.6 + 1e-9 && r > 0.05 && Math.abs(z) < 1e-9, `(${x}, ${y}, ${z})`);
    }
  });

  it("says what was wrong: an unknown site in the state, a physics state of the wrong size", async () => {
    await assert.rejects(MujocoRolloutModel.create({ source, stateSpec: "site_position:thumb", stepSec: 0.02 }), (e: Error) => e instanceof StateSpecError && /unknown site 'thumb'/.test(e.message));
    assert.throws(() => model.setPhysicsState(new Float64Array(3)), /physics state has 3 entries, the model needs/);
  });
});
