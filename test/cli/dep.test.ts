import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "../helpers/cli.js";
import { depReference } from "../helpers/paths.js";

describe("tendon dep replay (CLI)", function () {
  this.timeout(60_000);

  it("reproduces the reference implementation's outputs on its own inputs (T x E x n)", async () => {
    const fixtureFile = path.join(depReference, "myosuite_T300_E2_n4.json");
    const fixture = JSON.parse(fs.readFileSync(fixtureFile, "utf8"));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-replay-"));
    try {
      const input = path.join(tmp, "in.json");
      fs.writeFileSync(input, JSON.stringify({ params: fixture.params, inputs: fixture.inputs }));
      const r = await runCli(["dep", "replay", input]);
      assert.equal(r.code, 0, r.stderr);
      const { outputs } = JSON.parse(r.stdout);
      assert.equal(outputs.length, fixture.outputs.length);
      let maxErr = 0;
      outputs.forEach((step: number[][], t: number) =>
        step.forEach((env, e) => env.forEach((y, i) => (maxErr = Math.max(maxErr, Math.abs(y - fixture.outputs[t][e][i]))))),
      );
      assert.ok(maxErr < 1e-3, `max error ${maxErr}`);
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });

  it("wraps T x n input as one environment", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-replay-"));
    try {
      const input = path.join(tmp, "in.json");
      const inputs = Array.from({ length: 12 }, (_, t) => [Math.sin(t), Math.cos(t), 0.1 * t]);
      fs.writeFileSync(input, JSON.stringify({ preset: "ostrich", inputs }));
      const r = await runCli(["dep", "replay", input]);
      assert.equal(r.code, 0, r.stderr);
      const { outputs } = JSON.parse(r.stdout);
      assert.equal(outputs.length, 12);
      assert.equal(outputs[0].length, 1);
      assert.equal(outputs[0][0].length, 3);
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });

  it("rejects a broken file with the file name and what was wrong", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-replay-"));
    try {
      const broken = path.join(tmp, "broken.json");
      fs.writeFileSync(broken, '{"inputs": [[1, 2], [3]]}');
      let r = await runCli(["dep", "replay", broken]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /broken\.json/);
      assert.match(r.stderr, /row 1|inputs\[1\]/);

      fs.writeFileSync(broken, "not json");
      r = await runCli(["dep", "replay", broken]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /broken\.json/);

      r = await runCli(["dep", "replay", path.join(tmp, "none.json")]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /cannot read replay file .*none\.json/);
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });
});
