import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createMuscleCommand, createSensorFrame, copySensorFrame, type SensorFrame } from "../../src/core/frames.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { ModelLoadError } from "../../sim/loadModel.js";
import { resolveModelSource, ModelSourceError } from "../../sim/modelSource.js";
import { myoSim } from "../helpers/paths.js";

async function activeBridge(model: string, options: Partial<ConstructorParameters<typeof MujocoBridge>[0]> = {}) {
  const bridge = new MujocoBridge({ source: resolveModelSource(model), ...options });
  await bridge.configure();
  await bridge.activate();
  return bridge;
}

/** Runs `ticks` control periods with a command that depends on the tick, returns the frames. */
function drive(bridge: MujocoBridge, ticks: number, command: (k: number, out: Float64Array) => void): SensorFrame[] {
  const frame = createSensorFrame(bridge.spec);
  const cmd = createMuscleCommand(bridge.spec);
  const frames: SensorFrame[] = [];
  for (let k = 0; k < ticks; k++) {
    bridge.read(k * bridge.controlPeriodSec, bridge.controlPeriodSec, frame);
    frames.push(copySensorFrame(frame));
    command(k, cmd.values);
    bridge.write(0, bridge.controlPeriodSec, cmd);
    bridge.advance(bridge.controlPeriodSec);
  }
  return frames;
}

describe("MujocoBridge", function () {
  this.timeout(120_000);

  it("built-in arm2j6m: 6 named muscles, 2 limited joints, activation commands in [0, 1]", async () => {
    const bridge = await activeBridge("arm2j6m");
    try {
      const spec = bridge.spec;
      assert.deepEqual(
        spec.muscles.map((m) => m.name),
        ["shoulder_flexor", "shoulder_extensor", "elbow_flexor", "elbow_extensor", "biarticular_flexor", "biarticular_extensor"],
      );
      assert.deepEqual(spec.joints.map((j) => j.name), ["shoulder", "elbow"]);
      assert.ok(spec.joints.every((j) => j.rangeRad && j.rangeRad[0] < j.rangeRad[1]));
      assert.ok(spec.muscles.every((m) => m.commandMin === 0 && m.commandMax === 1 && m.safeCommand === 0));
      assert.equal(bridge.frameSkip, 10);
      assert.equal(bridge.timestepSec, 0.002);
    } finally {
      await bridge.shutdown();
    }
  });

  it("reads lengths in metres, tension in newtons (positive when pulling), activation following control", async () => {
    const bridge = await activeBridge("arm2j6m", { initialNoise: 0 });
    try {
      const frames = drive(bridge, 50, (_k, out) => out.fill(0.8));
      const last = frames.at(-1)!;
      for (let i = 0; i < 6; i++) {
        assert.ok(last.muscleLengthM[i] > 0.01 && last.muscleLengthM[i] < 1, `length ${last.muscleLengthM[i]} m`);
        assert.ok(last.muscleForceN[i] > 0, `tension ${last.muscleForceN[i]} N`);
        assert.ok(Math.abs(last.muscleActivation[i] - 0.8) < 0.02, `activation ${last.muscleActivation[i]}`);
        assert.equal(last.muscleControl[i], 0.8);
      }
      // Activation rises over time from zero (muscle activation dynamics), it is not the control.
      assert.ok(frames[1].muscleActivation[0] < 0.8);
      assert.equal(frames[0].seq, 0);
      assert.equal(last.seq, 49);
      assert.ok(Math.abs(bridge.simTimeSec - 50 * 0.02) < 1e-9);
    } finally {
      await bridge.shutdown();
    }
  });

  it("a flexor shortens and an agonist moves its joint", async () => {
    const bridge = await activeBridge("arm1j2m", { initialNoise: 0 });
    try {
      const frames = drive(bridge, 40, (_k, out) => out.set([1, 0]));
      const first = frames[1];
      const last = frames.at(-1)!;
      assert.ok(last.jointAngleRad[0] > first.jointAngleRad[0] + 0.3, `elbow ${first.jointAngleRad[0]} -> ${last.jointAngleRad[0]}`);
      assert.ok(last.muscleLengthM[0] < first.muscleLengthM[0], "the flexor shortened");
      assert.ok(last.muscleLengthM[1] > first.muscleLengthM[1], "the extensor lengthened");
    } finally {
      await bridge.shutdown();
    }
  });

  it("is deterministic for a seed, and the seed changes the start state", async () => {
    const run = async (seed: number) => {
      const bridge = await activeBridge("arm2j6m", { seed });
      try {
        return drive(bridge, 100, (k, out) => out.forEach((_, i) => (out[i] = 0.5 + 0.5 * Math.sin(0.1 * k + i)))).map((f) => Array.from(f.jointAngleRad));
      } finally {
        await bridge.shutdown();
      }
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it("loads MyoSuite models with includes and meshes: elbow, finger and hand", async () => {
    const cases: Array<[string, number, number]> = [
      [path.join(myoSim, "elbow", "myoelbow_2dof6muscles.xml"), 6, 2],
      [path.join(myoSim, "finger", "myofinger_v0.xml"), 5, 4],
      [path.join(myoSim, "hand", "myohand.xml"), 39, 23],
    ];
    for (const [file, muscles, joints] of cases) {
      const bridge = await activeBridge(file);
      try {
        assert.equal(bridge.spec.muscles.length, muscles, file);
        assert.equal(bridge.spec.joints.length, joints, file);
        const frames = drive(bridge, 5, (_k, out) => out.fill(0.3));
        const f = frames.at(-1)!;
        assert.equal(f.muscleLengthM.length, muscles);
        assert.equal(f.jointAngleRad.length, joints);
        assert.ok(f.muscleLengthM.every((l) => Number.isFinite(l) && l > 0));
      } finally {
        await bridge.shutdown();
      }
    }
  });

  it("resolves a folder with one model and rejects a folder with several, naming them", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-model-"));
    try {
      fs.copyFileSync(path.join(myoSim, "basic", "myomuscle.xml"), path.join(dir, "only.xml"));
      assert.deepEqual(resolveModelSource(dir), { kind: "file", path: path.join(dir, "only.xml") });
      assert.throws(() => resolveModelSource(path.join(myoSim, "finger")), (e: Error) => e instanceof ModelSourceError && /3 model files.*myofinger_v0\.xml/.test(e.message));
      assert.throws(() => resolveModelSource("no-such-model"), /neither a built-in model \(arm2j6m, arm1j2m\) nor an existing file/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("a bad model gives an error naming the file and MuJoCo's own message", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-bad-"));
    try {
      const bad = path.join(dir, "bad.xml");
      fs.writeFileSync(bad, "<mujoco><worldbody><body><joint type='hinge'/><geom size='0.1'/><bogus/></body></worldbody></mujoco>");
      const bridge = new MujocoBridge({ source: { kind: "file", path: bad } });
      await assert.rejects(bridge.configure(), (e: Error) => {
        assert.ok(e instanceof ModelLoadError);
        assert.match(e.message, new RegExp(`cannot load model '${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}'`));
        assert.match(e.message, /unrecognized element/i);
        assert.match(e.message, /bogus/);
        return true;
      });
      assert.equal(bridge.state, "unconfigured");

      const missingInclude = path.join(dir, "inc.xml");
      fs.writeFileSync(missingInclude, "<mujoco><include file='nowhere/parts.xml'/></mujoco>");
      await assert.rejects(new MujocoBridge({ source: { kind: "file", path: missingInclude } }).configure(), /cannot load model .*inc\.xml.*nowhere\/parts\.xml/);

      const noActuators = { kind: "xml" as const, xml: "<mujoco><worldbody><body><joint type='hinge'/><geom size='0.1'/></body></worldbody></mujoco>", label: "passive" };
      await assert.rejects(new MujocoBridge({ source: noActuators }).configure(), /'passive' has no actuators/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("keeps reading correctly after the wasm heap grows under its cached views", async () => {
    const bridge = await activeBridge("arm2j6m", { initialNoise: 0 });
    try {
      drive(bridge, 5, (_k, out) => out.fill(0.4));
      // Loading a large model grows the heap and detaches every existing view.
      const { data } = bridge.raw;
      const qposView = data.qpos as Float64Array;
      const before = qposView.slice();
      // Allocate MuJoCo data until the heap grows, which detaches every existing view.
      const other = await activeBridge(path.join(myoSim, "hand", "myohand.xml"));
      const { mj, model: handModel } = other.raw;
      const hold = [];
      while (qposView.length !== 0 && hold.length < 500) hold.push(new mj.MjData(handModel));
      assert.equal(qposView.length, 0, "the heap grew and detached the old view");
      for (const d of hold) d.delete();
      await other.shutdown();
      const frame = createSensorFrame(bridge.spec);
      assert.equal(bridge.read(0, 0.02, frame), true);
      assert.deepEqual(Array.from(frame.jointAngleRad), Array.from(before));
    } finally {
      await bridge.shutdown();
    }
  });

  it("enforces the lifecycle: no activate before configure, nothing written while inactive", async () => {
    const bridge = new MujocoBridge({ source: resolveModelSource("arm1j2m") });
    await assert.rejects(bridge.activate(), /cannot activate in state 'unconfigured'/);
    await bridge.configure();
    const cmd = createMuscleCommand(bridge.spec);
    cmd.values.fill(1);
    bridge.write(0, 0.02, cmd);
    const frame = createSensorFrame(bridge.spec);
    bridge.read(0, 0.02, frame);
    assert.deepEqual(Array.from(frame.muscleControl), [0, 0]);
    await bridge.shutdown();
    assert.equal(bridge.state, "finalized");
    await bridge.shutdown();
  });
});
