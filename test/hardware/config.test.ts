import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseHardwareConfig, HardwareConfigError, hardwareConfigSchema } from "../../hardware/configFile.js";
import { hwBridgeOptions } from "../../src/cli/hwCommand.js";
import { projectRoot } from "../helpers/paths.js";
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

  it("loads the commented example config/arm.hw.yaml, ranges and all, as tendon hw would", () => {
    const file = path.join(projectRoot, "config", "arm.hw.yaml");
    const o = parseHardwareConfig(fs.readFileSync(file, "utf8"), file);
    assert.equal(o.name, "arm");
    assert.equal(o.commandMode, "pwm");
    assert.deepEqual(o.ports, [{ path: "/dev/serial/by-id/usb-tendon-board-if00", boards: [1, 2] }]);
    assert.equal(o.muscles?.length, 6);
    assert.equal(o.muscles?.[2].commandMax, 40);
    assert.equal(o.joints?.[1].calibration?.sign, -1);
    const bridge = hwBridgeOptions({ port: [], boards: [], config: file });
    assert.equal(bridge.commandMax, 50);
    assert.equal(bridge.hostWatchdogMs, 100);
    assert.throws(() => parseHardwareConfig("mode: torque\n", "x.yaml"), /x\.yaml: mode/);
    assert.throws(() => parseHardwareConfig("ports: [\n", "y.yml"), /y\.yml is not valid YAML/);
  });

  it("the README's table of configuration fields matches the schema, both ways", () => {
    const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
    const start = readme.indexOf("**The configuration file**");
    assert.ok(start >= 0, "the README has the configuration table");
    const lines = readme.slice(start).split("\n");
    const header = lines.findIndex((l) => l.startsWith("| field |"));
    const table: string[] = [];
    for (let i = header + 2; i < lines.length && lines[i].startsWith("|"); i++) table.push(lines[i]);
    const documented = new Map<string, string>();
    for (const r of table) {
      const [, first, meaning] = r.split("|");
      for (const m of first.matchAll(/`([A-Za-z]+)`/g)) documented.set(m[1], meaning);
    }
    const shape = hardwareConfigSchema.shape;
    assert.deepEqual([...documented.keys()].sort(), Object.keys(shape).sort());
    // Nested fields are named in their row.
    const keysOf = (t: z.ZodTypeAny): string[] => {
      let u: z.ZodTypeAny = t;
      for (;;) {
        if (u instanceof z.ZodOptional || u instanceof z.ZodNullable) u = u.unwrap() as z.ZodTypeAny;
        else if (u instanceof z.ZodArray) u = u.element as z.ZodTypeAny;
        else break;
      }
      return u instanceof z.ZodObject ? Object.keys(u.shape as Record<string, unknown>) : [];
    };
    for (const [key, t] of Object.entries(shape)) {
      for (const sub of keysOf(t as z.ZodTypeAny)) assert.match(documented.get(key)!, new RegExp(`\\b${sub}\\b`), `README: ${key}.${sub} is not named`);
    }
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
