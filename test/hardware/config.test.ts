import assert from "node:assert/strict";
import { parseHardwareConfig, HardwareConfigError } from "../../hardware/configFile.js";
import { springDisplacementM, springForceN, jointAngleRad, jointCounts, DEFAULT_MUSCLE_CALIBRATION, DEFAULT_JOINT_CALIBRATION } from "../../hardware/calibration.js";
import { toSetpoint } from "../../hardware/options.js";

describe("hardware configuration and calibration", () => {
  it("reads a configuration file into bridge options", () => {
    const o = parseHardwareConfig(
      JSON.stringify({
        ports: [{ path: "/dev/ttyACM0", boards: [1, 2] }],
        mode: "force",
        commandMax: 80,
        calibration: { spoolRadiusM: 0.008 },
        muscles: [{ name: "biceps", gains: { displacement: { kp: 2, outputLimit: 8000 } } }],
        joints: [{ name: "elbow", rangeRad: [0, 2.4], calibration: { zeroRad: 0.1, sign: -1 } }],
        hostWatchdogMs: 50,
      }),
      "arm.json",
    );
    assert.equal(o.commandMode, "force");
    assert.equal(o.commandMax, 80);
    assert.deepEqual(o.ports, [{ path: "/dev/ttyACM0", boards: [1, 2] }]);
    assert.equal(o.muscles?.[0].gains?.displacement?.kp, 2);
  });

  it("names the field that is wrong", () => {
    assert.throws(() => parseHardwareConfig('{"mode": "torque"}', "a.json"), (e: unknown) => e instanceof HardwareConfigError && /a\.json: mode/.test(e.message));
    assert.throws(() => parseHardwareConfig('{"calibration": {"spring": [0, 1]}}', "b.json"), /b\.json: calibration\.spring/);
    assert.throws(() => parseHardwareConfig('{"joints": [{"rangeRad": [2, 1]}]}', "c.json"), /c\.json: joints\.0\.rangeRad/);
    assert.throws(() => parseHardwareConfig('{"colour": 1}', "d.json"), /d\.json/);
    assert.throws(() => parseHardwareConfig("{", "e.json"), /e\.json is not valid JSON/);
  });

  it("inverts the spring curve and converts setpoints with the calibration", () => {
    const c = DEFAULT_MUSCLE_CALIBRATION;
    for (const f of [0, 1, 60, 240, 500]) assert.ok(Math.abs(springForceN(c, springDisplacementM(c, f)) - f) < 1e-6);
    assert.equal(toSetpoint("pwm", 12.345, c), 1235);
    assert.equal(toSetpoint("force", 80, c), 80000);
    assert.equal(toSetpoint("displacement", 0.015, c), 1000);
    assert.equal(toSetpoint("position", 1, c), Math.round(c.countsPerRad));
    assert.equal(toSetpoint("pwm", 1e12, c), 2147483647);
    for (const a of [-3, -1.2, 0, 1, 2.4, 3]) assert.ok(Math.abs(jointAngleRad(DEFAULT_JOINT_CALIBRATION, jointCounts(DEFAULT_JOINT_CALIBRATION, a)) - a) < (2 * Math.PI) / 4096);
  });
});
