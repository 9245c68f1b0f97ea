import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { createMuscleCommand, createSensorFrame } from "../../src/core/frames.js";
import type { RobotSpec } from "../../src/core/spec.js";
import { createCycle } from "../../src/loop/operators.js";
import { DashboardFeed } from "../../src/observability/dashboard/DashboardFeed.js";

const spec: RobotSpec = {
  name: "two",
  commandUnit: "activation",
  muscles: [
    { name: "flexor", commandMin: 0, commandMax: 1, safeCommand: 0 },
    { name: "extensor", commandMin: 0, commandMax: 1, safeCommand: 0 },
  ],
  joints: [{ name: "elbow", rangeRad: [0, 2] }],
};

/** A ServerResponse that keeps the events written to it. */
function fakeResponse(): { res: ServerResponse; events: () => { event: string; data: any }[] } {
  const emitter = new EventEmitter();
  let text = "";
  const res = Object.assign(emitter, {
    writeHead: () => res,
    write: (s: string) => ((text += s), true),
    end: (s?: string) => {
      if (s) text += s;
    },
  }) as unknown as ServerResponse;
  const events = () =>
    text
      .split("\n\n")
      .filter((b) => b.startsWith("event: "))
      .map((b) => {
        const [e, d] = b.split("\n");
        return { event: e.slice(7), data: JSON.parse(d.slice(6)) };
      });
  return { res, events };
}

describe("observability: the dashboard feed's planner and learner data", () => {
  it("sends plans at their tick's time, the newest trajectory, and vector topics once each, on one time line across episodes", () => {
    const feed = new DashboardFeed({ spec, controllerName: "planner", periodSec: 0.02, sampleRateHz: 50 });
    const { res, events } = fakeResponse();
    feed.connect(res);
    const cycle = createCycle(createSensorFrame(spec), createMuscleCommand(spec));
    const tick = (t: number) => {
      cycle.tick = { ...cycle.tick, startSec: t, deadlineSec: t };
      feed.onCycle(cycle);
    };
    tick(0);
    tick(0.02);
    feed.setPlan(1.5, 0.25, [0.1, 0.2, 0.3, 0.4], ["tip.x", "tip.y"]);
    // The next episode: its loop time starts at 0 again, 1 s after the first's start.
    assert.equal(feed.sameRun(spec, "planner"), true);
    assert.equal(feed.sameRun(spec, "dep"), false);
    feed.setTimeOffset(1);
    tick(0);
    feed.setPlan(1.25, Number.NaN, [0.5, 0.6, 0.7, 0.8], ["tip.x", "tip.y"]);
    feed.addSeries("/learner/model_loss", ["train", "held_out", "version"], [0.5, Number.NaN, 1], 0.02);
    feed.close();
    const frames = events().filter((e) => e.event === "frame").map((e) => e.data);
    const plans = frames.flatMap((f) => (f.plan ? f.plan.t.map((t: number, k: number) => [t, f.plan.cost[k], f.plan.disagreement[k]]) : []));
    assert.deepEqual(plans, [
      [0.02, 1.5, 0.25],
      [1, 1.25, 0],
    ]);
    const trajectories = frames.filter((f) => f.trajectory).map((f) => f.trajectory);
    assert.deepEqual(trajectories.at(-1), { columns: ["tip.x", "tip.y"], horizon: 2, data: [0.5, 0.6, 0.7, 0.8] });
    const series = frames.filter((f) => f.series).map((f) => f.series["/learner/model_loss"]);
    assert.deepEqual(series, [{ labels: ["train", "held_out", "version"], t: [1.02], rows: [[0.5, null, 1]] }]);
    // Tick times carry the offset too.
    assert.deepEqual(frames.flatMap((f) => f.t), [0, 0.02, 1]);
    assert.equal(events().at(-1)!.event, "end");
  });

  it("sends none of them in a run that neither plans nor learns", () => {
    const feed = new DashboardFeed({ spec, controllerName: "dep", periodSec: 0.02 });
    const { res, events } = fakeResponse();
    feed.connect(res);
    const cycle = createCycle(createSensorFrame(spec), createMuscleCommand(spec));
    feed.onCycle(cycle);
    feed.close();
    const frames = events().filter((e) => e.event === "frame").map((e) => e.data);
    assert.ok(frames.length >= 1);
    for (const f of frames) assert.ok(!("plan" in f) && !("trajectory" in f) && !("series" in f), JSON.stringify(f));
  });
});
