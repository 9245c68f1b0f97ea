import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RobotSpec } from "../../src/core/spec.js";
import { CommandLimits } from "../../src/loop/CommandLimits.js";
import { Arbiter } from "../../src/safety/Arbiter.js";
import { defaultSafetyConfig, parseSafetyConfig, readSafetyConfig, SafetyConfigError } from "../../src/safety/config.js";
import { groupEffortCommand, JoyMappingError, JoyTeleop, parseJoyMapping, readJoyMapping } from "../../src/safety/JoyTeleop.js";
import { MuscleGroups, MuscleGroupsError } from "../../src/safety/MuscleGroups.js";
import { pairSpec, Ticker } from "./helpers.js";

const arm: RobotSpec = {
  name: "arm2j6m",
  commandUnit: "activation",
  muscles: ["shoulder_flexor", "shoulder_extensor", "elbow_flexor", "elbow_extensor", "biarticular_flexor", "biarticular_extensor"].map((name) => ({ name, commandMin: 0, commandMax: 1, safeCommand: 0 })),
  joints: [
    { name: "shoulder", rangeRad: [-1, 1] },
    { name: "elbow", rangeRad: [0, 2] },
  ],
};

const joyArbiter = (): Arbiter =>
  new Arbiter({
    spec: arm,
    sources: [
      { name: "joy", priority: 90, timeoutSec: 0.5 },
      { name: "dep", priority: 10, timeoutSec: 0, controller: true },
    ],
    transitionSec: 0,
  });

describe("MuscleGroups", () => {
  it("auto: the built-in arm's pairs by name prefix; names without a prefix: one group per muscle", () => {
    assert.deepEqual(MuscleGroups.resolve(arm).toJSON(), {
      shoulder: ["shoulder_flexor", "shoulder_extensor"],
      elbow: ["elbow_flexor", "elbow_extensor"],
      biarticular: ["biarticular_flexor", "biarticular_extensor"],
    });
    const myo: RobotSpec = { ...arm, muscles: ["TRIlong", "BIClong", "BRA"].map((name) => ({ name, commandMin: 0, commandMax: 1, safeCommand: 0 })) };
    assert.deepEqual(MuscleGroups.resolve(myo).names, ["TRIlong", "BIClong", "BRA"]);
    assert.deepEqual(MuscleGroups.resolve(myo, "all").toJSON(), { all: ["TRIlong", "BIClong", "BRA"] });
  });

  it("explicit groups: left-out muscles get their own; unknown or repeated muscles are refused", () => {
    const g = MuscleGroups.resolve(arm, { arm: ["shoulder_flexor", "elbow_flexor"] });
    assert.deepEqual(g.names, ["arm", "shoulder_extensor", "elbow_extensor", "biarticular_flexor", "biarticular_extensor"]);
    assert.deepEqual(Array.from(g.groupOf), [0, 1, 0, 2, 3, 4]);
    assert.throws(() => MuscleGroups.resolve(arm, { x: ["knee"] }), MuscleGroupsError);
    assert.throws(() => MuscleGroups.resolve(arm, { x: ["elbow_flexor"], y: ["elbow_flexor"] }), /two groups/);
  });
});

describe("JoyTeleop (sensor_msgs/Joy to muscle groups)", () => {
  it("an axis drives a group's flexor or extensor; nothing while the deadman is up; one zero command on release", () => {
    const arbiter = joyArbiter();
    const joy = new JoyTeleop({ arbiter, mapping: parseJoyMapping({ groups: { elbow: { axis: 1 } } }) });
    const t = new Ticker(arbiter, 0.01);
    const axes = [0, 0.6];
    const dep = [0.3, 0.3, 0.3, 0.3, 0.3, 0.3];
    joy.onJoy(axes, [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(t.tick(dep), dep, "deadman up: nothing sent");
    joy.onJoy(axes, [0, 0, 0, 0, 0, 1]);
    assert.deepEqual(t.tick(dep).map((u) => +u.toFixed(3)), [0.3, 0.3, 0.6, 0, 0.3, 0.3]);
    joy.onJoy([0, -0.5], [0, 0, 0, 0, 0, 1]);
    assert.deepEqual(t.tick(dep).map((u) => +u.toFixed(3)), [0.3, 0.3, 0, 0.5, 0.3, 0.3]);
    joy.onJoy([0, -0.5], [0, 0, 0, 0, 0, 0]);
    assert.equal(joy.active, false);
    assert.deepEqual(t.tick(dep), [0.3, 0.3, 0, 0, 0.3, 0.3], "released: one zero command");
    t.ticks(60, dep);
    assert.deepEqual(arbiter.owners, ["dep", "dep", "dep"], "then the joystick expires and DEP takes the group back");
  });

  it("buttons give a fixed effort; a joint mapping drives the muscles named after the joint", () => {
    const arbiter = joyArbiter();
    const joy = new JoyTeleop({
      arbiter,
      mapping: parseJoyMapping({ require_enable_button: false, buttons: [{ button: 0, group: "biarticular", effort: -0.4 }], joints: [{ axis: 3, joint: "shoulder", scale: 0.5 }] }),
    });
    const t = new Ticker(arbiter, 0.01);
    joy.onJoy([0, 0, 0, 1], [1]);
    assert.deepEqual(t.tick([0.3, 0.3, 0.3, 0.3, 0.3, 0.3]).map((u) => +u.toFixed(3)), [0.5, 0, 0.3, 0.3, 0, 0.4]);
    assert.deepEqual(arbiter.owners, ["joy", "dep", "joy"]);
  });

  it("the default mapping: axis k drives group k; mapping files in YAML; errors name the problem", () => {
    const joy = new JoyTeleop({ arbiter: joyArbiter() });
    assert.deepEqual(joy.mapping.groups, { shoulder: { axis: 0, scale: 1 }, elbow: { axis: 1, scale: 1 }, biarticular: { axis: 2, scale: 1 } });
    assert.equal(joy.mapping.enable_button, 5);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-joy-"));
    try {
      const file = path.join(dir, "joy.yaml");
      fs.writeFileSync(file, "enable_button: 4\ngroups:\n  elbow: {axis: 2, scale: -1}\n");
      assert.equal(readJoyMapping(file).enable_button, 4);
      fs.writeFileSync(file, "groups:\n  elbow: {axes: 2}\n");
      assert.throws(() => readJoyMapping(file), (e: unknown) => e instanceof JoyMappingError && /groups\.elbow/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => new JoyTeleop({ arbiter: joyArbiter(), mapping: parseJoyMapping({ groups: { knee: { axis: 0 } } }) }), /no muscle group 'knee'/);
  });

  it("effort commands split a group into flexors and extensors over each muscle's range", () => {
    const groups = MuscleGroups.resolve(pairSpec());
    assert.deepEqual(groupEffortCommand(pairSpec(), groups, 0, 0.5), [0.5, 0]);
    assert.deepEqual(groupEffortCommand(pairSpec(), groups, 1, -2), [0, 1]);
    assert.ok(groupEffortCommand(pairSpec(), groups, 1, Number.NaN).every(Number.isNaN));
  });
});

describe("safety configuration file", () => {
  it("defaults: teleop over joy over a policy over the loop's controller", () => {
    const c = defaultSafetyConfig("dep");
    assert.deepEqual(
      c.sources.map((s) => [s.name, s.priority]),
      [
        ["teleop", 100],
        ["joy", 90],
        ["policy", 50],
        ["dep", 10],
      ],
    );
    assert.equal(c.safeMode, "zero");
  });

  it("reads twist_mux-style YAML over the defaults, and names what is wrong", () => {
    const c = parseSafetyConfig(
      "safe_command: hold\ntransition_sec: 1\nsources:\n  - {name: teleop, priority: 100, timeout: 0.2}\n  - {name: dep, priority: 1, controller: true}\nlocks:\n  - {name: pause, priority: 200, timeout: 0}\nlimits: {max_rate: 4}\n",
      "s.yaml",
    );
    assert.equal(c.safeMode, "hold");
    assert.deepEqual(c.sources[0], { name: "teleop", priority: 100, timeoutSec: 0.2, controller: false });
    assert.deepEqual(c.locks, [{ name: "pause", priority: 200, timeoutSec: 0 }]);
    assert.equal(c.limits.maxRatePerSec, 4);
    assert.throws(() => parseSafetyConfig("sources:\n  - {name: t, priority: 300, timeout: 1}\n", "s.yaml"), (e: unknown) => e instanceof SafetyConfigError && /sources\.0\.priority/.test(e.message));
    assert.throws(() => parseSafetyConfig("sources:\n  - {name: t, priority: 3}\n", "s.yaml"), /needs a timeout/);
    assert.throws(() => parseSafetyConfig("bogus: 1\n", "s.yaml"), /bogus/);
    assert.throws(() => readSafetyConfig("/nonexistent/safety.yaml"), /cannot read safety file/);
  });
});

describe("CommandLimits for arbitration", () => {
  it("per-muscle rate limits, a safe mask written at once, and the last command", () => {
    const limits = new CommandLimits(pairSpec(), { maxRatePerSec: [1, 1, 10, Infinity] });
    assert.deepEqual(Array.from(limits.lastCommand), [0, 0, 0, 0], "the safe command before the first");
    limits.apply(Float64Array.of(0.5, 0.5, 0.5, 0.5), 0.1, 0);
    const out = limits.apply(Float64Array.of(1, 1, 1, 1), 0.1, 0.1, undefined, Uint8Array.of(0, 1, 0, 0));
    assert.deepEqual(
      Array.from(out, (u) => +u.toFixed(6)),
      [0.6, 0, 1, 1],
    );
    assert.deepEqual(Array.from(limits.lastCommand, (u) => +u.toFixed(6)), [0.6, 0, 1, 1]);
    assert.throws(() => new CommandLimits(pairSpec(), { maxRatePerSec: [1, 2] }), /one per muscle/);
  });
});
