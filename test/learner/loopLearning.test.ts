import assert from "node:assert/strict";
import type { Controller } from "../../src/core/controller.js";
import { resolveDepParams } from "../../src/dep/params.js";
import { ControlLoop } from "../../src/loop/ControlLoop.js";
import { extendLoop, attachLoop, closePlugins } from "../../src/loop/extension.js";
import { ReachTask } from "../../src/learner/environments/ReachTask.js";
import { LearningPolicy } from "../../src/learner/loop/LearningPolicy.js";
import { LEARN_DEFAULTS } from "../../src/learner/runLearn.js";
import { PolicyController } from "../../src/learner/split/PolicyController.js";
import { WorkerLearner } from "../../src/learner/split/WorkerLearner.js";
import { SafetyLayer } from "../../src/safety/SafetyLayer.js";
import { defaultSafetyConfig } from "../../src/safety/config.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { resolveModelSource } from "../../sim/modelSource.js";

describe("a learning policy on the control loop", function () {
  this.timeout(120_000);

  it("runs as the arbiter's policy source: the e-stop writes the safe command at once, those ticks are not learned from, learning goes on after the reset", async () => {
    const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m"), controlRateHz: 50, seed: 3 });
    await bridge.configure();
    const spec = bridge.spec;
    const task = new ReachTask({ episodeSteps: 50 });
    const controller = new PolicyController({ task, mode: "dep-rl", depParams: { ...resolveDepParams(), intervention_proba: 0.01, intervention_length: 20 }, preTrainingSteps: 300, seed: 3 });
    const learner = new WorkerLearner({
      config: {
        observationSize: task.observationSize(spec),
        actionSize: spec.muscles.length,
        backend: "auto",
        learn: { ...LEARN_DEFAULTS, envs: 1, hiddenSizes: [16, 16], batchSize: 32, batchIterations: 2, stepsBeforeBatches: 300, stepsBetweenBatches: 100, returnSteps: 3, replaySize: 10_000 },
      },
      onPolicy: (s) => controller.offer(s),
    });
    await learner.ready;
    const safety = new SafetyLayer({ spec, config: defaultSafetyConfig("idle") });
    const policy = new LearningPolicy({ controller, arbiter: safety.arbiter, sink: (b) => learner.push(b.count, b.data) });
    // The loop's own controller: a source of lowest priority that only ever asks for the safe command.
    const idle: Controller = { name: "idle", configure: () => undefined, update: () => Float64Array.from(spec.muscles, (m) => m.safeCommand ?? 0) };
    const plugins = [policy, { extend: () => safety.loopOptions(), attach: (l: ControlLoop) => safety.attach(l) }];
    const ext = extendLoop(plugins, { spec, periodSec: bridge.controlPeriodSec, controllerName: "idle", controller: idle, clock: undefined });
    const ticks = 3000;
    const estopAt = 1500;
    const resetAt = 1700;
    const loop = new ControlLoop({ bridge, controller: idle, mode: "lockstep", periodSec: bridge.controlPeriodSec, maxTicks: ticks, stages: ext.stages, limiter: ext.limiter });
    attachLoop(plugins, loop);
    const safe = Float64Array.from(safety.limiter.safeCommand);
    const sources: string[] = [];
    let appliedBefore = 0;
    let skippedAtReset = 0;
    let problems = 0;
    loop.events$.subscribe((e) => {
      if (e.type === "problem") problems++;
    });
    loop.cycles$.subscribe((c) => {
      sources[c.tick.index] = c.source;
      if (c.tick.index > estopAt && c.tick.index <= resetAt) assert.deepEqual(Array.from(c.command.values), Array.from(safe), `tick ${c.tick.index}: the safe command under the e-stop`);
      // Between ticks: the e-stop, later its reset.
      if (c.tick.index === estopAt) {
        appliedBefore = policy.stats.applied;
        safety.arbiter.estop("test");
      }
      if (c.tick.index === resetAt) {
        skippedAtReset = policy.stats.skipped;
        safety.arbiter.reset("test");
      }
    });
    const result = await loop.run();
    await closePlugins(plugins);
    for (let waited = 0; waited < 30_000 && learner.progress.steps < policy.stats.sent; waited += 100) await new Promise((r) => setTimeout(r, 100));
    const progress = learner.progress;
    await learner.stop();
    await bridge.shutdown();

    assert.equal(result.ticks, ticks);
    assert.equal(problems, 0);
    // The policy drove the arm before the e-stop (after the hand-over ramp from the safe command).
    assert.equal(sources[estopAt - 1], "policy");
    assert.ok(appliedBefore > estopAt - 100, `policy's own command written on ${appliedBefore} ticks before the e-stop`);
    // The tick right after the e-stop is safe, and every e-stop tick was skipped for learning.
    assert.equal(sources[estopAt + 1], "safe");
    assert.ok(skippedAtReset >= resetAt - estopAt, `${skippedAtReset} transitions skipped by the reset`);
    // After the reset the policy is the owner again and learning went on.
    assert.equal(sources[ticks - 1], "policy");
    assert.ok(policy.stats.applied > appliedBefore + 1000);
    assert.equal(progress.steps, policy.stats.sent);
    assert.ok(policy.stats.sent <= ticks - (resetAt - estopAt));
    assert.ok(progress.updates > 0 && controller.policyVersion >= 1, `updates ${progress.updates}, policy version ${controller.policyVersion}`);
  });
});
