import assert from "node:assert/strict";
import { ManualClock } from "../../src/core/clock.js";
import { Arbiter, ArbiterConfigError } from "../../src/safety/Arbiter.js";
import type { OwnerEvent } from "../../src/safety/events.js";
import { makeArbiter, pairSpec, SOURCES, Ticker } from "./helpers.js";

const owners = (a: Arbiter) => [...a.owners];

describe("Arbiter (scenarios, injected clock)", () => {
  it("the controller owns every group while nothing else is fresh; a source with a timeout starts expired", () => {
    const { arbiter } = makeArbiter();
    const t = new Ticker(arbiter);
    assert.deepEqual(t.tick(), [0.2, 0.2, 0.2, 0.2]);
    assert.deepEqual(owners(arbiter), ["dep", "dep"]);
  });

  it("teleop takes one group while DEP keeps the other, and DEP resumes after teleop's timeout", () => {
    const { arbiter, events } = makeArbiter();
    const t = new Ticker(arbiter);
    t.tick();
    arbiter.submitGroup("teleop", "a", [0.9, 0.1]);
    assert.deepEqual(t.tick(), [0.9, 0.1, 0.2, 0.2]);
    assert.deepEqual(owners(arbiter), ["teleop", "dep"]);
    // 0.5 s timeout: fresh 0.49 s after its command, expired 0.52 s after.
    t.ticks(48);
    assert.equal(arbiter.owners[0], "teleop");
    t.ticks(3);
    assert.equal(arbiter.owners[0], "dep");
    const switches = events.filter((e): e is OwnerEvent => e.type === "owner" && e.group === "a");
    assert.deepEqual(
      switches.map((e) => [e.from, e.to, e.reason]),
      [
        ["safe", "dep", "available"],
        ["dep", "teleop", "preempted"],
        ["teleop", "dep", "expired"],
      ],
    );
  });

  it("timeout 0 never expires, even before the first message: it wins with the safe command", () => {
    const { arbiter } = makeArbiter({ sources: [{ name: "static", priority: 50, timeoutSec: 0 }, ...SOURCES] });
    const t = new Ticker(arbiter);
    assert.deepEqual(t.tick(), [0, 0, 0, 0]);
    assert.deepEqual(owners(arbiter), ["static", "static"]);
    assert.deepEqual(Array.from(arbiter.safeMask), [0, 0, 0, 0], "a winning source's command, not the no-winner safe command");
    arbiter.submitMuscles("static", [0.3, 0.3, 0.3, 0.3]);
    t.ticks(1000);
    assert.deepEqual(t.tick(), [0.3, 0.3, 0.3, 0.3]);
  });

  it("ties go to the first source in configuration order", () => {
    const { arbiter } = makeArbiter({
      sources: [
        { name: "first", priority: 50, timeoutSec: 1 },
        { name: "second", priority: 50, timeoutSec: 1 },
      ],
    });
    const t = new Ticker(arbiter);
    arbiter.submitMuscles("second", [0.5, 0.5, 0.5, 0.5]);
    arbiter.submitMuscles("first", [0.1, 0.1, 0.1, 0.1]);
    assert.deepEqual(t.tick(), [0.1, 0.1, 0.1, 0.1]);
  });

  it("a lock masks strictly lower priorities; an equal priority still wins; a lock with a timeout starts locked", () => {
    const { arbiter } = makeArbiter({ locks: [{ name: "pause", priority: 50, timeoutSec: 1 }] });
    const t = new Ticker(arbiter);
    t.tick();
    assert.deepEqual(owners(arbiter), ["safe", "safe"], "the lock has never been written: expired, so locked; dep (10) is masked");
    arbiter.setLock("pause", false);
    t.tick();
    assert.deepEqual(owners(arbiter), ["dep", "dep"]);
    arbiter.setLock("pause", true);
    arbiter.submitGroup("policy", "b", [0.4, 0.4]);
    t.tick();
    assert.deepEqual(owners(arbiter), ["safe", "policy"], "policy's 50 is not below the lock's 50");
  });

  it("no winner gives the safe command: zero, or the last command held", () => {
    for (const safeMode of ["zero", "hold"] as const) {
      const { arbiter } = makeArbiter({ safeMode, sources: [SOURCES[0]] });
      const t = new Ticker(arbiter);
      arbiter.submitMuscles("teleop", [0.7, 0.6, 0.5, 0.4]);
      assert.deepEqual(t.tick(), [0.7, 0.6, 0.5, 0.4]);
      t.ticks(60);
      assert.deepEqual(owners(arbiter), ["safe", "safe"]);
      assert.deepEqual(t.tick(), safeMode === "zero" ? [0, 0, 0, 0] : [0.7, 0.6, 0.5, 0.4]);
    }
  });

  it("the e-stop wins over everything until reset; commands while latched are the safe command", () => {
    const { arbiter, events } = makeArbiter();
    const t = new Ticker(arbiter);
    arbiter.submitMuscles("teleop", [1, 1, 1, 1]);
    t.tick();
    assert.equal(arbiter.estop("test", "button"), true);
    assert.equal(arbiter.estop("test"), false, "already latched");
    for (let k = 0; k < 100; k++) {
      arbiter.submitMuscles("teleop", [1, 1, 1, 1]);
      assert.deepEqual(t.tick(), [0, 0, 0, 0]);
      assert.deepEqual(owners(arbiter), ["estop", "estop"]);
    }
    assert.equal(arbiter.estopState.appliedSec - arbiter.estopState.requestedSec <= 0.01 + 1e-12, true);
    assert.equal(arbiter.reset("test"), true);
    assert.equal(arbiter.reset("test"), false);
    t.tick();
    assert.deepEqual(owners(arbiter), ["teleop", "teleop"]);
    assert.deepEqual(
      events.filter((e) => e.type === "estop" || e.type === "estop_reset").map((e) => e.type),
      ["estop", "estop_reset"],
    );
  });

  it("a reset that comes before the e-stop reached a tick still gives one safe tick", () => {
    const { arbiter } = makeArbiter();
    const t = new Ticker(arbiter);
    t.tick();
    arbiter.estop("api");
    arbiter.reset("api");
    assert.deepEqual(t.tick(), [0, 0, 0, 0]);
    assert.equal(arbiter.estopLatched, false);
    assert.deepEqual(t.tick(), [0.2, 0.2, 0.2, 0.2]);
  });

  it("hands back with a rate-limited ramp from the last written command, then reports the hand-over done", () => {
    const { arbiter, events } = makeArbiter({ transitionSec: 0.5 }); // 2 units/s: 0.02 per 10 ms tick
    const t = new Ticker(arbiter);
    t.ticks(60);
    arbiter.submitGroup("teleop", "a", [1, 0]);
    let prev = t.last.slice();
    const steps: number[] = [];
    for (let k = 0; k < 200; k++) {
      const out = t.tick([0.2, 0.2, 0.2, 0.2]);
      steps.push(Math.max(...out.map((u, i) => Math.abs(u - prev[i]))));
      prev = Float64Array.from(out);
    }
    assert.ok(Math.max(...steps) <= 0.02 + 1e-12, `largest step ${Math.max(...steps)}`);
    assert.deepEqual(owners(arbiter), ["dep", "dep"]);
    assert.deepEqual(Array.from(t.last), [0.2, 0.2, 0.2, 0.2]);
    assert.deepEqual(
      events.filter((e) => e.type === "handover_complete" && e.group === "a").map((e) => (e as { owner: string }).owner),
      ["dep", "teleop", "dep"],
    );
  });

  it("heartbeats keep a source alive on the groups it commands; release hands back at once", () => {
    const { arbiter, events } = makeArbiter();
    const t = new Ticker(arbiter);
    arbiter.submitGroup("teleop", "b", [0.5, 0.5]);
    for (let k = 0; k < 200; k++) {
      if (k % 20 === 0) arbiter.heartbeat("teleop");
      t.tick();
      assert.deepEqual(owners(arbiter), ["dep", "teleop"]);
    }
    arbiter.release("teleop");
    t.tick();
    assert.deepEqual(owners(arbiter), ["dep", "dep"]);
    assert.equal((events.at(-1) as OwnerEvent).reason, "released");
    arbiter.heartbeat("teleop");
    t.tick();
    assert.deepEqual(owners(arbiter), ["dep", "dep"], "a heartbeat does not revive a released group");
  });

  it("stale sensors (the watchdog) give the safe command to every group, and clear on their own", () => {
    const { arbiter } = makeArbiter();
    const t = new Ticker(arbiter);
    arbiter.submitGroup("teleop", "a", [0.5, 0.5]);
    assert.deepEqual(t.tick(null, true), [0, 0, 0, 0]);
    assert.deepEqual(owners(arbiter), ["watchdog", "watchdog"]);
    t.tick();
    assert.deepEqual(owners(arbiter), ["teleop", "dep"]);
  });

  it("a controller that produced nothing this tick is expired for that tick", () => {
    const { arbiter } = makeArbiter();
    const t = new Ticker(arbiter);
    t.tick();
    assert.deepEqual(t.tick(null), [0, 0, 0, 0]);
    assert.deepEqual(owners(arbiter), ["safe", "safe"]);
  });

  it("reports a source's NaN once until it sends finite values again", () => {
    const { arbiter, events } = makeArbiter();
    arbiter.submitGroup("teleop", "a", [Number.NaN, 0]);
    arbiter.submitGroup("teleop", "a", [Infinity, 0]);
    arbiter.submitGroup("teleop", "a", [0, 0]);
    arbiter.submitGroup("teleop", "a", [Number.NaN, 0]);
    const problems = events.filter((e) => e.type === "problem");
    assert.equal(problems.length, 2);
    assert.match(problems[0].type === "problem" ? problems[0].message : "", /teleop/);
  });

  it("stamps submissions with an injected clock", () => {
    const clock = new ManualClock(0);
    const { arbiter } = makeArbiter({ clock });
    const out = new Float64Array(4);
    clock.set(10);
    arbiter.submitGroup("teleop", "a", [0.5, 0.5]);
    arbiter.feedController([0, 0, 0, 0]);
    arbiter.update(10.4, 0.01, out, out);
    assert.equal(arbiter.owners[0], "teleop");
    arbiter.feedController([0, 0, 0, 0]);
    arbiter.update(10.6, 0.01, out, out);
    assert.equal(arbiter.owners[0], "dep");
  });

  it("rejects bad configurations with a reason", () => {
    const spec = pairSpec();
    assert.throws(() => new Arbiter({ spec, sources: [{ name: "x", priority: 300, timeoutSec: 1 }] }), ArbiterConfigError);
    assert.throws(() => new Arbiter({ spec, sources: [{ name: "x", priority: 1, timeoutSec: -1 }] }), /timeout/);
    assert.throws(() => new Arbiter({ spec, sources: [{ name: "estop", priority: 1, timeoutSec: 1 }] }), /reserved/);
    assert.throws(() => new Arbiter({ spec, sources: [SOURCES[0], SOURCES[0]] }), /two sources/);
    assert.throws(() => makeArbiter().arbiter.submitGroup("teleop", "c", [0]), /no muscle group 'c'/);
    assert.throws(() => makeArbiter().arbiter.submitGroup("nobody", "a", [0, 0]), /no command source 'nobody'/);
  });
});
