import assert from "node:assert/strict";
import { runLoopLearn } from "../../src/learner/loop/runLoopLearn.js";
import { UserError } from "../../src/core/errors.js";
import { defaultSafetyConfig } from "../../src/safety/config.js";
import { ServeSession } from "../../src/api/ServeSession.js";

const tiny = { hiddenSizes: [16, 16], batchSize: 32, batchIterations: 2, stepsBeforeBatches: 300, stepsBetweenBatches: 100, returnSteps: 3, replaySize: 10_000 };

describe("tendon learn --on-loop (runLoopLearn)", function () {
  this.timeout(120_000);

  it("learns on the control loop: policies come back with versions > 0; an e-stop writes the safe command at once and latches until reset", async () => {
    const estopAt = 1500;
    const resetAt = 1700;
    const events: { tick: number; type: string }[] = [];
    const sources: string[] = [];
    const unsafe: number[] = [];
    const reports: number[] = [];
    const result = await runLoopLearn({
      ticks: 3000,
      mode: "dep-rl",
      seed: 2,
      depParams: { intervention_proba: 0.01, intervention_length: 20 },
      learn: tiny,
      reportEveryTicks: 1000,
      onProgress: (p) => reports.push(p.ticks),
      onLoop: ({ loop, safety, estop }) => {
        let tick = -1;
        const safe = Float64Array.from(safety.limiter.safeCommand);
        loop.events$.subscribe((e) => events.push({ tick, type: e.type }));
        loop.cycles$.subscribe((c) => {
          tick = c.tick.index;
          sources[tick] = c.source;
          if (tick > estopAt && tick <= resetAt && c.command.values.some((v, i) => v !== safe[i])) unsafe.push(tick);
          // Between ticks, as an API request would come.
          if (tick === estopAt) estop("test");
          if (tick === resetAt) safety.arbiter.reset("test");
        });
      },
    });
    assert.equal(result.loop.ticks, 3000);
    assert.deepEqual(reports, [1000, 2000, 3000]);
    // The safe command went to the body within the e-stop call, before the next tick.
    const safeWrite = events.find((e) => e.type === "safe_write");
    assert.ok(safeWrite, "an immediate safe write");
    assert.equal(safeWrite.tick, estopAt);
    assert.deepEqual(unsafe, [], "every e-stop tick wrote the safe command");
    assert.equal(sources[estopAt + 1], "safe");
    assert.equal(result.estops, 1);
    // The policy drove the arm before and after; its e-stop ticks were not learned from.
    assert.equal(sources[estopAt - 1], "policy");
    assert.equal(sources[2999], "policy");
    assert.ok(result.skipped >= resetAt - estopAt, `${result.skipped} transitions skipped`);
    assert.ok(result.sent <= 3000 - (resetAt - estopAt));
    assert.equal(result.learnerSteps, result.sent, "every row sent was stored by the learner");
    assert.ok(result.updates > 0, "the learner updated");
    assert.ok(result.policyVersion > 0, `policy version ${result.policyVersion}`);
    assert.ok(result.totalDepShare > 0 && result.totalDepShare < 1, `DEP acted on ${result.totalDepShare} of the transitions (pre-training and interventions)`);
    assert.ok(Number.isFinite(result.totalMeanReward));
    assert.deepEqual(result.problems, {});
  });

  it("refuses a safety configuration without the policy source, with one line", async () => {
    const config = defaultSafetyConfig("idle");
    await assert.rejects(
      runLoopLearn({ ticks: 10, learn: tiny, safety: { ...config, sources: config.sources.filter((s) => s.name !== "policy") } }),
      (err: unknown) => err instanceof UserError && /no 'policy' source/.test(err.message) && !err.message.includes("\n"),
    );
  });

  it("with --serve: the session's safety layer carries the policy; POST /api/estop writes the safe command at once", async () => {
    const session = await ServeSession.start({ port: 0, out: () => undefined, log: () => undefined, publishToken: false });
    const events: string[] = [];
    const sources: string[] = [];
    let estopTick = -1;
    try {
      const result = await runLoopLearn({
        ticks: 150,
        realtime: true,
        mode: "rl",
        learn: tiny,
        plugins: [session],
        onLoop: ({ loop, safety }) => {
          assert.equal(safety, session.safety, "the served session's safety layer");
          loop.events$.subscribe((e) => events.push(e.type));
          loop.cycles$.subscribe((c) => {
            sources[c.tick.index] = c.source;
            if (c.tick.index === 60) {
              estopTick = 60;
              void fetch(`${session.server.url}/api/estop?reason=test`, { method: "POST" });
            }
          });
        },
      });
      assert.equal(result.loop.ticks, 150);
      assert.equal(result.estops, 1);
      assert.ok(events.includes("safe_write"), "the API's e-stop wrote the safe command at once");
      assert.equal(sources[estopTick - 1], "policy");
      assert.equal(sources[149], "safe", "latched to the end");
    } finally {
      await session.close();
    }
  });
});
