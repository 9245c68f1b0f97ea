import assert from "node:assert/strict";
import { map } from "rxjs";
import type { Controller } from "../../src/core/controller.js";
import type { LoopEvent } from "../../src/core/events.js";
import type { SensorFrame } from "../../src/core/frames.js";
import type { RobotSpec } from "../../src/core/spec.js";
import { ControlLoop } from "../../src/loop/ControlLoop.js";
import { MirrorBridge } from "../helpers/MirrorBridge.js";
import { VirtualTimer } from "../helpers/VirtualTimer.js";

/** A controller whose command per tick is given by a function of the tick count. */
class ScriptedController implements Controller {
  readonly name = "scripted";
  #n = 0;
  #k = 0;
  #out = new Float64Array(0);
  constructor(readonly script: (k: number, out: Float64Array) => void) {}
  configure(spec: RobotSpec): void {
    this.#n = spec.muscles.length;
    this.#out = new Float64Array(this.#n);
  }
  update(_frame: SensorFrame, _dtSec: number): Float64Array {
    this.script(this.#k++, this.#out);
    return this.#out;
  }
}

async function runLoop(bridge: MirrorBridge, controller: Controller, extra: Partial<ConstructorParameters<typeof ControlLoop>[0]> = {}) {
  const events: LoopEvent[] = [];
  const loop = new ControlLoop({ bridge, controller, mode: "realtime", periodSec: 0.002, maxTicks: 10, timer: new VirtualTimer(), ...extra });
  loop.events$.subscribe((e) => events.push(e));
  const result = await loop.run();
  return { result, events, loop };
}

describe("ControlLoop", () => {
  it("runs read -> controller -> limits -> write each tick and leaves the bridge safe and inactive", async () => {
    const bridge = new MirrorBridge();
    const { result } = await runLoop(bridge, new ScriptedController((k, out) => out.fill(k / 20)));
    assert.equal(result.ticks, 10);
    assert.equal(bridge.state, "inactive");
    // 10 commands from the controller, then the safe command on the way out.
    assert.equal(bridge.written.length, 11);
    assert.deepEqual(bridge.written[3], [0.15, 0.15, 0.15]);
    assert.deepEqual(bridge.written[10], [0, 0, 0]);
    assert.equal(result.stats.overruns, 0);
    assert.equal(result.problems, 0);
  });

  it("survives a throwing controller: the safe command for that tick, one problem event, then on", async () => {
    const bridge = new MirrorBridge();
    const { result, events } = await runLoop(
      bridge,
      new ScriptedController((k, out) => {
        if (k === 2 || k === 3) throw new Error("singular matrix");
        out.fill(0.5);
      }),
    );
    assert.equal(result.ticks, 10);
    assert.deepEqual(bridge.written[2], [0, 0, 0]);
    assert.deepEqual(bridge.written[3], [0, 0, 0]);
    assert.deepEqual(bridge.written[4], [0.5, 0.5, 0.5]);
    const problems = events.filter((e) => e.type === "problem");
    assert.equal(problems.length, 1);
    assert.match(problems[0].type === "problem" ? problems[0].message : "", /scripted.*singular matrix.*safe command/);
  });

  it("replaces a NaN from the controller by the safe command for that muscle only", async () => {
    const bridge = new MirrorBridge();
    await runLoop(bridge, new ScriptedController((_k, out) => out.set([Number.NaN, 2, 0.3])));
    assert.deepEqual(bridge.written[0], [0, 1, 0.3]);
  });

  it("sends the safe command when sensors stay stale, and resumes when they return", async () => {
    const bridge = new MirrorBridge();
    bridge.staleAt = new Set([1, 2, 3]);
    bridge.throwOnReadAt = new Set([4]);
    const { events } = await runLoop(bridge, new ScriptedController((_k, out) => out.fill(0.7)), { maxStaleTicks: 2 });
    // Ticks 1..4 are stale (4 threw); beyond 2 stale ticks (ticks 3, 4) the safe command goes out.
    assert.deepEqual(bridge.written.slice(0, 6), [[0.7, 0.7, 0.7], [0.7, 0.7, 0.7], [0.7, 0.7, 0.7], [0, 0, 0], [0, 0, 0], [0.7, 0.7, 0.7]]);
    const codes = events.flatMap((e) => (e.type === "problem" ? [e.code] : []));
    assert.deepEqual(codes.sort(), ["bridge_read_error", "stale_sensors"]);
  });

  it("runs arbitration stages between the controller and the limits", async () => {
    const bridge = new MirrorBridge();
    const override = map((c: import("../../src/loop/operators.js").Cycle) => {
      c.command.values[0] = 5; // out of range on purpose: the limits come after
      c.source = "teleop";
      return c;
    });
    const sources: string[] = [];
    const loop = new ControlLoop({
      bridge,
      controller: new ScriptedController((_k, out) => out.fill(0.2)),
      mode: "realtime",
      periodSec: 0.002,
      maxTicks: 3,
      timer: new VirtualTimer(),
      stages: [override],
    });
    loop.cycles$.subscribe((c) => sources.push(c.source));
    await loop.run();
    assert.deepEqual(bridge.written[0], [1, 0.2, 0.2]);
    assert.deepEqual(sources, ["teleop", "teleop", "teleop"]);
  });

  it("stop() ends a run without a tick limit", async () => {
    const bridge = new MirrorBridge();
    const loop = new ControlLoop({ bridge, controller: new ScriptedController((_k, out) => out.fill(0.1)), mode: "realtime", periodSec: 0.002, timer: new VirtualTimer() });
    loop.cycles$.subscribe((c) => {
      if (c.tick.index === 24) loop.stop();
    });
    const result = await loop.run();
    assert.equal(result.ticks, 25);
    assert.equal(bridge.state, "inactive");
    assert.deepEqual(bridge.written.at(-1), [0, 0, 0]);
  });

  it("writeSafeNow() writes the safe command at once, between ticks, and says so", async () => {
    const bridge = new MirrorBridge();
    const loop = new ControlLoop({ bridge, controller: new ScriptedController((_k, out) => out.fill(0.6)), mode: "realtime", periodSec: 0.002, maxTicks: 6, timer: new VirtualTimer() });
    assert.equal(loop.writeSafeNow("before the run"), false);
    const events: LoopEvent[] = [];
    loop.events$.subscribe((e) => events.push(e));
    let writesAtRequest = -1;
    loop.cycles$.subscribe((c) => {
      if (c.tick.index === 2) {
        // Between ticks, as an I/O callback would be.
        setImmediate(() => {
          writesAtRequest = bridge.written.length;
          assert.equal(loop.writeSafeNow("e-stop by test"), true);
        });
      }
    });
    await loop.run();
    assert.deepEqual(bridge.written[writesAtRequest], [0, 0, 0], "the safe command came right after the request, before any further tick");
    assert.deepEqual(bridge.written[writesAtRequest - 1], [0.6, 0.6, 0.6]);
    const safeWrites = events.filter((e) => e.type === "safe_write");
    assert.equal(safeWrites.length, 1);
    assert.match(safeWrites[0].type === "safe_write" ? safeWrites[0].reason : "", /e-stop by test/);
    assert.equal(loop.writeSafeNow("after the run"), false);
  });

  it("refuses lockstep mode on a bridge whose time it cannot drive", () => {
    assert.throws(
      () => new ControlLoop({ bridge: new MirrorBridge(), controller: new ScriptedController(() => undefined), mode: "lockstep", periodSec: 0.01 }),
      /lockstep mode needs a simulated bridge/,
    );
  });
});
