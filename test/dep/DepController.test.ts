import assert from "node:assert/strict";
import { createSensorFrame, type SensorFrame } from "../../src/core/frames.js";
import type { RobotSpec } from "../../src/core/spec.js";
import { Dep } from "../../src/dep/Dep.js";
import { DepController } from "../../src/dep/DepController.js";
import { MuscleInputNormalizer } from "../../src/dep/MuscleInputNormalizer.js";
import { myosuiteSigmoid } from "../../src/dep/outputMappings.js";
import { DepParamsError, resolveDepParams } from "../../src/dep/params.js";

function makeSpec(n: number, commandUnit: RobotSpec["commandUnit"] = "activation", range: [number, number] = [0, 1]): RobotSpec {
  return {
    name: "arm",
    commandUnit,
    joints: [{ name: "elbow", rangeRad: [-1, 1] }],
    muscles: Array.from({ length: n }, (_, i) => ({ name: `m${i}`, commandMin: range[0], commandMax: range[1], safeCommand: range[0] })),
  };
}

/** A frame for tick t of a made-up oscillating arm: lengths around 0.3 m, tensions around 40 N. */
function fillFrame(frame: SensorFrame, t: number): SensorFrame {
  frame.seq = t;
  frame.stampSec = t * 0.02;
  for (let i = 0; i < frame.muscleLengthM.length; i++) {
    frame.muscleLengthM[i] = 0.3 + 0.02 * Math.sin(0.15 * t + i);
    frame.muscleForceN[i] = 40 + 30 * Math.cos(0.1 * t + 2 * i);
  }
  return frame;
}

describe("DepController", () => {
  it("validates its parameters when constructed", () => {
    assert.throws(() => new DepController({ params: { kapa: 3 } }), (err: unknown) => err instanceof DepParamsError && /did you mean "kappa"/.test(err.message));
    assert.throws(() => new DepController({ preset: "nope" }), DepParamsError);
    assert.throws(() => new DepController({ outputMapping: "cubic" as never }), /outputMapping \("cubic"\) must be one of "myosuite", "linear", "sigmoid"/);
    assert.equal(new DepController({ preset: "humanreacher" }).params.force_scale, 0.04);
    assert.equal(new DepController().name, "dep");
  });

  it("asks for configure before anything else", () => {
    const c = new DepController();
    assert.throws(() => c.update(createSensorFrame(makeSpec(2)), 0.02), /DepController.update: call configure\(spec\) first/);
    assert.throws(() => c.matrix(), /call configure/);
    assert.equal(c.stepCount, 0);
  });

  it("is the normalizer, Dep and the MyoSuite map in sequence, step for step", () => {
    const spec = makeSpec(5);
    const options = { preset: "myosuite", params: { force_scale: 0.1 } };
    const controller = new DepController(options);
    controller.configure(spec);
    assert.equal(controller.outputMapping, "myosuite");

    const p = resolveDepParams(options);
    const norm = new MuscleInputNormalizer({ n: 5, forceScale: 0.1, forceSign: "tension" });
    const dep = new Dep(p, 5);
    const x = new Float64Array(5);
    const y = new Float64Array(5);
    const frame = createSensorFrame(spec);
    let returned: Float64Array | undefined;
    for (let t = 0; t < 200; t++) {
      fillFrame(frame, t);
      const command = controller.update(frame, 0.02);
      if (returned) assert.equal(command, returned, "the same array every tick");
      returned = command;
      // The reference's input: MuJoCo-signed forces (negative when pulling), negated here by hand.
      norm.normalize(frame.muscleLengthM, frame.muscleForceN.map((f) => -f), x);
      dep.step(x, y);
      assert.deepEqual(controller.lastAction, y, `y at t = ${t}`);
      assert.deepEqual(command, myosuiteSigmoid(y, new Float64Array(5)), `command at t = ${t}`);
    }
    assert.equal(controller.stepCount, 200);
    assert.deepEqual(controller.matrix(), dep.cNorm());
    assert.deepEqual(controller.bias(), dep.bias());
  });

  it("sends the MyoSuite map of y = 0 (0.0759) before learning and a learned matrix afterwards", () => {
    const spec = makeSpec(3);
    const c = new DepController();
    c.configure(spec);
    const frame = createSensorFrame(spec);
    const first = c.update(fillFrame(frame, 0), 0.02);
    for (const v of first) assert.ok(Math.abs(v - 0.0759) < 1e-4);
    assert.ok(c.lastAction.every((v: number) => v === 0));
    assert.ok(c.lastInput.every((v: number) => v === -1));
    assert.ok(c.matrix().every((v) => v === 0));
    for (let t = 1; t < 100; t++) c.update(fillFrame(frame, t), 0.02);
    const m = c.matrix();
    assert.equal(m.length, 9);
    assert.ok(m.some((v) => v !== 0));
    m.fill(0);
    assert.ok(c.matrix().some((v) => v !== 0), "matrix() returns a copy");
  });

  it("maps linearly onto each muscle's command range for non-activation units", () => {
    const spec = makeSpec(2, "pwm_percent", [-80, 80]);
    const c = new DepController();
    c.configure(spec);
    assert.equal(c.outputMapping, "linear");
    const frame = createSensorFrame(spec);
    assert.deepEqual(c.update(fillFrame(frame, 0), 0.02), Float64Array.from([0, 0]));
    for (let t = 1; t < 60; t++) {
      const cmd = c.update(fillFrame(frame, t), 0.02);
      for (let i = 0; i < 2; i++) assert.ok(Math.abs(cmd[i] - 80 * c.lastAction[i]) < 1e-12);
    }
  });

  it('forceSign changes the input only when force_scale > 0; "tension" differs from the reference', () => {
    const spec = makeSpec(3);
    const run = (forceSign: "mujoco" | "tension", force_scale: number) => {
      const c = new DepController({ forceSign, params: { force_scale } });
      c.configure(spec);
      const frame = createSensorFrame(spec);
      const inputs: number[][] = [];
      for (let t = 0; t < 30; t++) {
        c.update(fillFrame(frame, t), 0.02);
        inputs.push([...c.lastInput]);
      }
      return inputs;
    };
    assert.deepEqual(run("mujoco", 0), run("tension", 0));
    assert.notDeepEqual(run("mujoco", 0.5), run("tension", 0.5));
  });

  it("reset forgets DEP's learning but keeps the input ranges, as the reference does", () => {
    const spec = makeSpec(3);
    const c = new DepController();
    c.configure(spec);
    const frame = createSensorFrame(spec);
    for (let t = 0; t < 80; t++) c.update(fillFrame(frame, t), 0.02);
    c.reset();
    assert.equal(c.stepCount, 0);
    assert.ok(c.matrix().every((v) => v === 0));
    c.update(fillFrame(frame, 80), 0.02);
    assert.ok(c.lastAction.every((v: number) => v === 0));
    assert.ok(c.lastInput.some((v: number) => v !== -1), "the ranges seen before the reset still apply");
    // configure starts the ranges afresh.
    c.configure(spec);
    c.update(fillFrame(frame, 81), 0.02);
    assert.ok(c.lastInput.every((v: number) => v === -1));
  });
});
