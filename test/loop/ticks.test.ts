import assert from "node:assert/strict";
import { map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { deadlineTicks, lockstepTicks, type Tick, type TimerPort } from "../../src/loop/ticks.js";
import { firstValueFrom, toArray } from "rxjs";

/** A TimerPort on the TestScheduler's virtual time (1 frame = 1 ms); `busyMs` simulates work per tick. */
function virtualTimer(scheduler: TestScheduler): TimerPort & { busyMs: (tickIndex: number) => number; extraMs: number } {
  const port = {
    extraMs: 0,
    busyMs: (_i: number) => 0,
    nowSec: () => (scheduler.now() + port.extraMs) / 1000,
    at: (atSec: number, fn: () => void) => {
      const delay = Math.max(0, atSec * 1000 - (scheduler.now() + port.extraMs));
      const action = scheduler.schedule(() => fn(), delay);
      return () => action.unsubscribe();
    },
  };
  return port;
}

const snapshot = (t: Tick) => ({ index: t.index, cycle: t.cycle, deadlineMs: Math.round(t.deadlineSec * 1000), missed: t.missed });

describe("deadlineTicks", () => {
  it("emits on absolute deadlines, one per period", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ expectObservable }) => {
      const timer = virtualTimer(scheduler);
      const ticks$ = deadlineTicks({ periodSec: 0.002, timer, maxTicks: 3 }).pipe(map(snapshot));
      expectObservable(ticks$).toBe("2ms a 1ms b 1ms (c|)", {
        a: { index: 0, cycle: 1, deadlineMs: 2, missed: 0 },
        b: { index: 1, cycle: 2, deadlineMs: 4, missed: 0 },
        c: { index: 2, cycle: 3, deadlineMs: 6, missed: 0 },
      });
    });
  });

  it("skips and counts missed cycles after an overrun instead of bursting", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ expectObservable }) => {
      const timer = virtualTimer(scheduler);
      // The second tick's work takes 5 ms: deadlines 6 and 8 pass during it, so they are skipped.
      const ticks$ = deadlineTicks({ periodSec: 0.002, timer, maxTicks: 3 }).pipe(
        map((t) => {
          const s = snapshot(t);
          if (t.index === 1) timer.extraMs += 5;
          return s;
        }),
      );
      // Virtual now after tick 1 is 4 + 5 = 9 ms; the next deadline on the grid is 10 ms, reached at virtual frame 5.
      expectObservable(ticks$).toBe("2ms a 1ms b (c|)", {
        a: { index: 0, cycle: 1, deadlineMs: 2, missed: 0 },
        b: { index: 1, cycle: 2, deadlineMs: 4, missed: 0 },
        c: { index: 2, cycle: 5, deadlineMs: 10, missed: 2 },
      });
    });
  });

  it("stops its timer when unsubscribed", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ expectObservable }) => {
      const timer = virtualTimer(scheduler);
      const ticks$ = deadlineTicks({ periodSec: 0.001, timer }).pipe(map((t) => t.index));
      expectObservable(ticks$, "^--!").toBe("-ab", { a: 0, b: 1 });
    });
  });

  it("rejects a non-positive period", () => {
    const scheduler = new TestScheduler(() => undefined);
    assert.throws(() => deadlineTicks({ periodSec: 0, timer: virtualTimer(scheduler) }), /periodSec must be > 0/);
  });
});

describe("lockstepTicks", () => {
  it("emits maxTicks ticks on simulated time, deadline = start = cycle x period", async () => {
    const ticks = await firstValueFrom(lockstepTicks({ periodSec: 0.02, maxTicks: 40 }).pipe(map(snapshot), toArray()));
    assert.equal(ticks.length, 40);
    ticks.forEach((t, i) => {
      assert.equal(t.index, i);
      assert.equal(t.cycle, i + 1);
      assert.equal(t.deadlineMs, (i + 1) * 20);
      assert.equal(t.missed, 0);
    });
  });

  it("yields to the event loop between slices", async () => {
    let timersFired = 0;
    const interval = setInterval(() => timersFired++, 1);
    let emitted = 0;
    await new Promise<void>((resolve) => {
      lockstepTicks({ periodSec: 0.001, maxTicks: 200_000, sliceMs: 2 }).subscribe({
        next: () => {
          emitted++;
          // A little work per tick so the run takes several slices.
          let x = 0;
          for (let k = 0; k < 200; k++) x += Math.sqrt(k);
          if (x < 0) throw new Error("unreachable");
        },
        complete: resolve,
      });
    });
    clearInterval(interval);
    assert.equal(emitted, 200_000);
    assert.ok(timersFired > 0, "a timer should have run while the lockstep loop was going");
  });
});
