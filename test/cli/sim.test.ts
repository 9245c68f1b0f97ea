import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { lastJsonLine, runCli } from "../helpers/cli.js";

describe("tendon sim (CLI)", function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-cli-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("runs the built-in arm under DEP, prints a summary and ends stdout with a JSON line", async () => {
    const r = await runCli(["sim", "--duration", "4", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tendon sim: arm2j6m \(6 muscles, 2 joints\)/);
    assert.match(r.stdout, /real-time factor/);
    const s = lastJsonLine(r.stdout);
    assert.equal(s.simSeconds, 4);
    assert.equal(s.ticks, 200);
    assert.ok(s.wallSeconds > 0);
    assert.ok(s.realTimeFactor > 0);
    assert.ok(typeof s.coverage === "number" && s.coverage > 0 && s.coverage <= 1);
    assert.equal(typeof s.loop.p99PeriodErrorMs, "number");
    assert.equal(s.loop.overruns, 0);
    assert.equal(s.problems, 0);
  });

  it("--timing low-cpu paces a real-time run; an unknown timing mode is a usage error", async () => {
    const r = await runCli(["sim", "--realtime", "--rate", "100", "--duration", "0.5", "--timing", "low-cpu", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = lastJsonLine(r.stdout);
    assert.equal(s.mode, "realtime");
    assert.equal(s.ticks, 50);
    assert.ok(s.wallSeconds >= 0.45, `a real-time run of 0.5 s took ${s.wallSeconds} s`);
    const bad = await runCli(["sim", "--timing", "slow", "--duration", "0.1"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--timing must be one of precise, low-cpu/);
  });

  it("--compare-noise reports both coverages; DEP explores more of the joint space than uniform noise", async () => {
    const r = await runCli(["sim", "--duration", "20", "--compare-noise", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = lastJsonLine(r.stdout);
    assert.ok(s.coverage.dep > 0 && s.coverage.dep <= 1);
    assert.ok(s.coverage.noise > 0 && s.coverage.noise <= 1);
    assert.ok(s.coverage.dep > 2 * s.coverage.noise, `DEP ${s.coverage.dep} vs noise ${s.coverage.noise}`);
    assert.match(r.stdout, /noise \d\.\d{3}/);
  });

  it("is deterministic for a seed", async () => {
    const a = lastJsonLine((await runCli(["sim", "--duration", "3", "--seed", "7", "--json", "--compare-noise"])).stdout);
    const b = lastJsonLine((await runCli(["sim", "--duration", "3", "--seed", "7", "--json", "--compare-noise"])).stdout);
    assert.deepEqual(a.coverage, b.coverage);
  });

  it("accepts a params file with the reference implementation's names, and a preset", async () => {
    const params = path.join(tmp, "dep.json");
    fs.writeFileSync(params, JSON.stringify({ kappa: 50, tau: 10, time_dist: 3, buffer_size: 100 }));
    const r = await runCli(["sim", "--model", "arm1j2m", "--duration", "2", "--preset", "ostrich", "--params", params, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastJsonLine(r.stdout).joints, ["elbow"]);
  });

  it("--frame-skip sets the control period in physics steps", async () => {
    const r = await runCli(["sim", "--frame-skip", "5", "--duration", "1", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = lastJsonLine(r.stdout);
    assert.equal(s.frameSkip, 5);
    assert.equal(s.rateHz, 100);
    assert.equal(s.ticks, 100);
  });

  for (const [args, pattern] of [
    [["sim", "--duration", "abc"], /--duration needs a positive number, got 'abc'/],
    [["sim", "--rate", "-5"], /--rate needs a positive number/],
    [["sim", "--seed", "1.5"], /--seed needs a whole number/],
    [["sim", "--preset", "walker"], /--preset must be one of default, myosuite, humanreacher, ostrich; got 'walker'/],
    [["sim", "--bogus"], /unknown option '--bogus'/],
    [["sim", "--model", "no-such-arm"], /model 'no-such-arm' is neither a built-in model/],
    [["sim", "--rate", "1000"], /faster than the physics|at most 500 Hz/],
    [["nonsense"], /unknown command 'nonsense'/],
  ] as Array<[string[], RegExp]>) {
    it(`rejects ${args.join(" ")} with a clear error and exit code 2`, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    });
  }

  it("rejects a bad params file: not JSON, and an unknown parameter name", async () => {
    const notJson = path.join(tmp, "broken.json");
    fs.writeFileSync(notJson, "{ kappa: 3");
    let r = await runCli(["sim", "--params", notJson]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--params file '.*broken\.json' is not valid JSON/);

    const typo = path.join(tmp, "typo.json");
    fs.writeFileSync(typo, JSON.stringify({ kapa: 3 }));
    r = await runCli(["sim", "--params", typo]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /kapa/);

    r = await runCli(["sim", "--params", path.join(tmp, "missing.json")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read --params file .*missing\.json.*ENOENT/);
  });

  it("a model that does not load names the file and MuJoCo's message", async () => {
    const bad = path.join(tmp, "bad.xml");
    fs.writeFileSync(bad, "<mujoco><worldbody><body><geom size='0.1' type='nonsense'/></body></worldbody></mujoco>");
    const r = await runCli(["sim", "--model", bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot load model '.*bad\.xml': .*nonsense/);
  });

  it("SIGINT stops a run after the current tick, prints the summary and exits 130", async () => {
    // A 10-minute real-time run, interrupted once it has started.
    const r = await runCli(["sim", "--realtime", "--duration", "600"], {
      timeoutMs: 60_000,
      onStderr: (chunk, kill) => {
        if (/running/.test(chunk)) setTimeout(() => kill("SIGINT"), 1500);
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /tendon sim: arm2j6m/);
    const ticks = Number(/in (\d+) ticks/.exec(r.stdout)?.[1]);
    assert.ok(ticks > 10 && ticks < 30_000, `ticks ${ticks}`);
  });
});
