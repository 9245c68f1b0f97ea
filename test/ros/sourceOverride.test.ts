import assert from "node:assert/strict";
import { map, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { latestCommand, type LatestCommand } from "../../src/nodes/sourceOverride.js";
import { createVector, type Float64MultiArrayMsg } from "../../src/transport/messages.js";

function command(values: number[]): Float64MultiArrayMsg {
  const m = createVector(values.length);
  m.data.set(values);
  return m;
}

const show = (l: LatestCommand | undefined): string => (l ? `${l.count}@${Math.round(l.atSec * 1000)}:${Array.from(l.data).join("/")}` : "none");

describe("latestCommand (marble)", () => {
  it("holds a copy of the newest command, with its arrival time and count", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ hot, expectObservable }) => {
      // One frame is 1 ms of virtual time.
      const clock = { nowSec: () => scheduler.now() / 1000 };
      const source = hot("--x---y---z", { x: command([0.9, 0.8]), y: command([0.7, 0.6]), z: command([1, 2, 3]) });
      expectObservable(latestCommand(source, clock).pipe(map(show))).toBe("a-b---c---d", { a: "none", b: "1@2:0.9/0.8", c: "2@6:0.7/0.6", d: "3@10:1/2/3" });
    });
  });

  it("a late subscriber gets the newest command at once; a source refilling its message does not change the held copy", () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    const seen: string[] = [];
    scheduler.run(({ hot }) => {
      const clock = { nowSec: () => scheduler.now() / 1000 };
      const reused = command([0.9, 0.8]);
      const latest$ = latestCommand(hot("--x------", { x: reused }), clock);
      latest$.subscribe(); // connected from the start, as the controller node does
      scheduler.schedule(() => (reused.data[0] = 42), 3);
      scheduler.schedule(() => latest$.pipe(take(1)).subscribe((l) => seen.push(show(l))), 6);
    });
    assert.deepEqual(seen, ["1@2:0.9/0.8"]);
  });
});
