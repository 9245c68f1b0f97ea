import assert from "node:assert/strict";
import fs from "node:fs";
import { runCli } from "../helpers/cli.js";

describe("tendon plan / play (bad input)", function () {
  this.timeout(120_000);

  for (const [args, re] of [
    [["plan", "--task", "grasp"], /^tendon: unknown task 'grasp': use one of reach, pose, path, velocity/],
    [["plan", "--task", "reach", "--site", "thumb", "-n", "1"], /^tendon: unknown site 'thumb' for task reach: the model's sites are/],
    [["plan", "--task", "pose", "--joints", "knee=1", "-n", "1"], /^tendon: unknown joint 'knee' for task pose: the model's joints are shoulder, elbow/],
    [["plan", "--task", "reach", "--population", "1", "-n", "1"], /^tendon: planner population must be an integer >= 2, got 1/],
    [["plan", "--task", "reach", "--realtime", "--backend", "inline"], /inline plans inside the tick/],
    [["plan", "--task", "reach", "--model-from", "no/such/model.json"], /^tendon: cannot read world model 'no\/such\/model.json': no such file/],
    [["plan", "--task", "reach", "--serve", "99999"], /^tendon: --serve needs a port number 0-65535, got '99999'/],
    [["plan", "--task", "reach", "--serve", "0", "--backend", "inline"], /^tendon: --serve runs in real time: --backend inline cannot keep it on time/],
    [["play", "--out", "test-artifacts/play-never-written", "--serve", "x"], /^tendon: --serve needs a port number 0-65535, got 'x'/],
    [["play", "--out", "test-artifacts/play-never-written", "--foxglove", "-1"], /^tendon: --foxglove needs a port number 0-65535, got '-1'/],
  ] as const) {
    it(`${args.join(" ")}: one line, exit 2`, async () => {
      const r = await runCli([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      // A bad flag stops tendon play before it makes its output folder.
      if (args[0] === "play") assert.equal(fs.existsSync(args[2]), false, args[2]);
    });
  }

  it("plans a short reach episode on MuJoCo and ends with a JSON summary", async () => {
    const r = await runCli(["plan", "--task", "reach", "-n", "1", "--episode", "0.5", "--population", "8", "--horizon", "3", "--iterations", "1", "--model-timestep", "0.01", "--json", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(s.plannedOn, "mujoco");
    assert.equal(s.episodes.length, 1);
    assert.equal(s.episodes[0].planner.plans, 5);
    assert.equal(s.episodes[0].planner.errors, 0);
  });
});
