import assert from "node:assert/strict";
import { NodeTimer } from "../../src/loop/ticks.js";

describe("NodeTimer", () => {
  for (const options of [{}, { spinSec: 0 }, { pollSec: 0, spinSec: 0.001 }, "lowCpu()"] as const) {
    it(`never fires before its deadline, nor inside at() (${JSON.stringify(options)})`, async () => {
      const timer = options === "lowCpu()" ? NodeTimer.lowCpu() : new NodeTimer(options);
      for (const aheadSec of [0, 0.0003, 0.002, 0.012]) {
        const deadline = timer.nowSec() + aheadSec;
        let syncCall = true;
        const firedAt = await new Promise<number>((resolve) => {
          timer.at(deadline, () => {
            assert.equal(syncCall, false, "fn ran inside at()");
            resolve(timer.nowSec());
          });
          syncCall = false;
        });
        assert.ok(firedAt >= deadline, `fired ${((deadline - firedAt) * 1e6).toFixed(1)} us early`);
      }
    });
  }

  it("cancel() and a new at() stop a pending wait", async () => {
    const timer = new NodeTimer();
    let fired = 0;
    const cancel = timer.at(timer.nowSec() + 0.003, () => fired++);
    cancel();
    timer.at(timer.nowSec() + 0.002, () => (fired += 10));
    timer.at(timer.nowSec() + 0.004, () => (fired += 100));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(fired, 100);
  });

  it("rejects negative windows", () => {
    assert.throws(() => new NodeTimer({ spinSec: -1 }), /spinSec must be >= 0/);
    assert.throws(() => new NodeTimer({ pollSec: -1 }), /pollSec must be >= 0/);
  });
});
