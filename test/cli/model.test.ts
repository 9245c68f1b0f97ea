import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { lastJsonLine, runCli } from "../helpers/cli.js";

describe("tendon model fit | eval", function () {
  this.timeout(240_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-model-"));
  const rec = path.join(dir, "run.mcap");
  const model = path.join(dir, "model.json");
  before(async () => {
    const r = await runCli(["sim", "-d", "8", "--no-progress", "--record", rec]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("fits a model on a recording, writes it with its loss curve, and evaluates it", async () => {
    const fit = await runCli(["model", "fit", rec, "--out", model, "--hidden", "32,32", "--members", "3", "--steps", "100", "--no-progress", "--json"]);
    assert.equal(fit.code, 0, fit.stderr);
    const j = lastJsonLine(fit.stdout);
    assert.ok(j.holdoutRows > 0 && Number.isFinite(j.nll) && j.within2 > 0 && j.within2 <= 1);
    assert.deepEqual(Object.keys(j.rmse), ["joint_angle", "joint_velocity", "muscle_length", "muscle_force"]);
    assert.match(fit.stdout, /calibration/);
    for (const f of [model, path.join(dir, "model-curve.csv"), path.join(dir, "model-curve.svg")]) assert.ok(fs.existsSync(f), f);
    const ev = await runCli(["model", "eval", model, rec, "--horizon", "5", "--json"]);
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal(lastJsonLine(ev.stdout).horizon, 5);
  });

  it("refuses an unknown joint, a site, a missing file and a file that is not a model in one line, exit 2", async () => {
    for (const [args, pattern] of [
      [["model", "fit", rec, "--state", "joint_angle:wrist"], /unknown joint 'wrist'.*known joints are shoulder, elbow/],
      [["model", "fit", rec, "--state", "site_position:fingertip"], /no site positions/],
      [["model", "fit", path.join(dir, "none.mcap")], /no recording/],
      [["model", "eval", rec, rec], /not JSON|not a tendon world model/],
    ] as const) {
      const r = await runCli([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  });
});
