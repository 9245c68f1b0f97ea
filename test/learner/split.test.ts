import assert from "node:assert/strict";
import { resolveDepParams } from "../../src/dep/params.js";
import { ControlLoop } from "../../src/loop/ControlLoop.js";
import { ReachTask } from "../../src/learner/environments/ReachTask.js";
import { LEARN_DEFAULTS } from "../../src/learner/runLearn.js";
import { PolicyController } from "../../src/learner/split/PolicyController.js";
import { WorkerLearner, type LearnerStatus } from "../../src/learner/split/WorkerLearner.js";
import { MujocoBridge } from "../../sim/MujocoBridge.js";
import { resolveModelSource } from "../../sim/modelSource.js";

interface Setup {
  readonly script?: URL;
  readonly ticks: number;
  readonly stallAfterSec?: number;
}

async function runSplit(setup: Setup) {
  const bridge = new MujocoBridge({ source: resolveModelSource("arm2j6m"), controlRateHz: 50, seed: 1 });
  await bridge.configure();
  const task = new ReachTask({ episodeSteps: 50 });
  const controller = new PolicyController({ task, mode: "dep-rl", depParams: resolveDepParams(), preTrainingSteps: 100, seed: 1 });
  const statuses: LearnerStatus[] = [];
  const learner = new WorkerLearner({
    script: setup.script,
    stallAfterSec: setup.stallAfterSec ?? 10,
    config: {
      observationSize: task.observationSize(bridge.spec),
      actionSize: bridge.spec.muscles.length,
      backend: "auto",
      learn: { ...LEARN_DEFAULTS, envs: 1, hiddenSizes: [16, 16], batchSize: 32, batchIterations: 2, stepsBeforeBatches: 100, stepsBetweenBatches: 50, replaySize: 10_000 },
    },
    onPolicy: (s) => controller.offer(s),
    onStatus: (s, detail) => statuses.push(`${s}${detail ? ` (${detail})` : ""}` as LearnerStatus),
  });
  await learner.ready;
  const loop = new ControlLoop({ bridge, controller, mode: "lockstep", periodSec: bridge.controlPeriodSec, maxTicks: setup.ticks });
  let problems = 0;
  loop.events$.subscribe((e) => {
    if (e.type === "problem") problems++;
  });
  // Transitions leave the controller off the tick, every 25 ticks.
  loop.cycles$.subscribe((c) => {
    if (c.tick.index % 25 === 24) {
      const block = controller.drainTransitions();
      learner.push(block.count, block.data);
    }
  });
  const result = await loop.run();
  // The lockstep loop runs far faster than real time: give the learner time to catch up.
  const sent = Math.floor(setup.ticks / 25) * 25 - 1;
  for (let waited = 0; waited < 30_000 && learner.status === "running" && learner.progress.steps < sent; waited += 100) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));
  const status = learner.status;
  const progress = learner.progress;
  await learner.stop();
  await bridge.shutdown();
  return { result, problems, status, statuses, progress, version: controller.policyVersion, dropped: controller.droppedTransitions };
}

describe("actor-learner split", function () {
  this.timeout(90_000);

  it("the learner in a worker thread trains on streamed transitions and its policies are swapped in between ticks", async () => {
    const r = await runSplit({ ticks: 1500 });
    assert.equal(r.result.ticks, 1500);
    assert.equal(r.problems, 0);
    assert.equal(r.status, "running", `learner ${r.status}: ${r.statuses.join(", ")}`);
    assert.ok(r.progress.steps > 1000, `learner saw ${r.progress.steps} transitions`);
    assert.ok(r.progress.updates > 0, "the learner updated");
    assert.ok(r.version >= 1, `policy version ${r.version} in use`);
    assert.equal(r.dropped, 0);
  });

  it("a learner that crashes does not stop the control loop", async () => {
    const r = await runSplit({ ticks: 600, script: new URL("./fixtures/crashingLearner.ts", import.meta.url) });
    assert.equal(r.result.ticks, 600);
    assert.equal(r.problems, 0);
    assert.equal(r.status, "crashed");
  });

  it("a learner that stalls does not stop the control loop, and is reported as stalled", async () => {
    const r = await runSplit({ ticks: 600, script: new URL("./fixtures/stallingLearner.ts", import.meta.url), stallAfterSec: 0.2 });
    assert.equal(r.result.ticks, 600);
    assert.equal(r.problems, 0);
    assert.ok(r.statuses.some((s) => s.startsWith("stalled")), `statuses: ${r.statuses.join(", ")}`);
  });
});
