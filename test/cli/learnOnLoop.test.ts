import assert from "node:assert/strict";
import { runCli } from "../helpers/cli.js";

describe("tendon learn --on-loop (command line)", function () {
  this.timeout(120_000);

  for (const [args, re] of [
    [["learn", "--on-loop", "--envs", "2"], /^tendon: --envs does not go with --on-loop/],
    [["learn", "--on-loop", "--env-workers", "2"], /^tendon: --env-workers does not go with --on-loop/],
    [["learn", "--realtime"], /^tendon: --realtime needs --on-loop/],
    [["learn", "--on-loop", "--serve", "99999"], /^tendon: --serve needs a port number 0-65535, got '99999'/],
    [["learn", "--env-workers", "2", "--checkpoint-dir", "test-artifacts/never"], /^tendon: checkpoints and resuming need the environments in this thread/],
  ] as const) {
    it(`${args.join(" ")}: one line, exit 2`, async () => {
      const r = await runCli([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    });
  }

  it("learns on the loop for a few hundred ticks and ends with a JSON summary", async () => {
    const r = await runCli(["learn", "--on-loop", "--steps", "500", "--hidden", "8,8", "--json", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(s.onLoop, true);
    assert.equal(s.ticks, 500);
    assert.equal(s.learner.status, "running");
    assert.equal(s.learner.steps, s.transitions.sent);
    assert.equal(s.applied, 499, "the policy's own command on every tick after the first");
    assert.equal(s.estops, 0);
  });
});
