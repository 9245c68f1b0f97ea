/**
 * Newcomer mistakes stop tendon hw at start with exit 2 and what to do: command ranges a board
 * cannot take, a serial device that is missing or is not one.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { commandRangeProblem } from "../../hardware/options.js";
import { runCli } from "../helpers/cli.js";

describe("hardware command ranges", function () {
  this.timeout(60_000);

  it("commandRangeProblem: PWM beyond 100 %, empty or non-finite ranges, setpoints past 32 bits", () => {
    assert.equal(commandRangeProblem("pwm", 0, 50, "--max"), undefined);
    assert.equal(commandRangeProblem("pwm", -100, 100, "--max"), undefined);
    assert.match(commandRangeProblem("pwm", 0, 500, "--min/--max")!, /^--min\/--max: the command range \[0, 500\] pwm_percent is beyond what mode pwm can command \(-100\.\.100\)/);
    assert.match(commandRangeProblem("pwm", 30, 30, "x")!, /is empty/);
    assert.match(commandRangeProblem("force", 0, Infinity, "x")!, /must be finite/);
    assert.match(commandRangeProblem("force", 0, 3e6, "x")!, /3000000 force_n does not fit a board setpoint/);
    assert.equal(commandRangeProblem("force", 0, 100, "x"), undefined);
  });

  it("tendon hw --max 500 (PWM %) and a config file's out-of-range muscle stop with exit code 2 and the reason", async () => {
    // A port that does not exist: the range is refused before it is looked for.
    const r = await runCli(["hw", "--port", "/dev/tendon-no-such-port", "--max", "500"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^tendon: --min\/--max: the command range \[0, 500\] pwm_percent is beyond what mode pwm can command \(-100\.\.100\); the default is 0\.\.50$/m);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-ranges-"));
    try {
      const file = path.join(dir, "arm.json");
      fs.writeFileSync(file, JSON.stringify({ ports: [{ path: "/dev/tendon-no-such-port" }], muscles: [{}, { commandMax: 120 }] }));
      const c = await runCli(["hw", "--config", file]);
      assert.equal(c.code, 2, c.stderr);
      assert.match(c.stderr, /arm\.json: muscles\.1: the command range \[0, 120\] pwm_percent is beyond what mode pwm can command/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a missing device or a file that is not one: what to check, and --list-ports", async () => {
    const missing = await runCli(["hw", "--port", "/dev/tendon-no-such-port"]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /^tendon: no serial device at \/dev\/tendon-no-such-port: check that the board is plugged in and powered, and the path \(`tendon hw --list-ports` lists/m);
    const file = path.join(os.tmpdir(), `tendon-not-a-port-${process.pid}`);
    fs.writeFileSync(file, "");
    try {
      const r = await runCli(["hw", "--port", file]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /is not a serial device \(a regular file\)/);
    } finally {
      fs.rmSync(file, { force: true });
    }
    const list = await runCli(["hw", "--list-ports"]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.trim().length > 0);
  });
});
