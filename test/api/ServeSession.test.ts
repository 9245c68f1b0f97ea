import assert from "node:assert/strict";
import { Subject } from "rxjs";
import WebSocket from "ws";
import { ServeSession } from "../../src/api/ServeSession.js";
import type { ControlLoop } from "../../src/loop/ControlLoop.js";
import { pairSpec } from "../safety/helpers.js";

/** A loop that records what happens to it, in one sequence with everything else the test sees. */
function fakeLoop(order: string[]): ControlLoop {
  return {
    cycles$: new Subject(),
    events$: new Subject(),
    writeSafeNow: (reason: string) => (order.push(`safe write (${reason})`), true),
    stop: () => undefined,
  } as unknown as ControlLoop;
}

describe("ServeSession: an e-stop through the API", () => {
  it("writes the safe command first, before the e-stop is logged, and once", async () => {
    const order: string[] = [];
    const session = await ServeSession.start({ port: 0, out: () => undefined, log: (l) => order.push(`log ${l}`), publishToken: false });
    try {
      session.extend({ spec: pairSpec(), periodSec: 0.002, controllerName: "dep", clock: undefined });
      session.attach(fakeLoop(order));
      order.length = 0; // the start-up lines
      const ws = new WebSocket(`${session.server.url.replace("http", "ws")}/api/teleop?token=${session.server.token}`);
      await new Promise((resolve, reject) => (ws.once("message", resolve), ws.once("error", reject)));
      const told = new Promise<void>((resolve) =>
        ws.on("message", (d) => {
          if (JSON.parse(String(d)).event?.type === "estop") resolve();
        }),
      );
      const res = await fetch(`${session.server.url}/api/estop?reason=probe`, { method: "POST" });
      assert.equal(res.status, 200);
      await told;
      ws.close();
      assert.match(order[0], /^safe write \(e-stop by api: probe\)$/);
      assert.match(order[1], /^log .*E-STOP latched by api: probe/);
      assert.equal(order.filter((x) => x.startsWith("safe write")).length, 1);
    } finally {
      await session.close();
    }
  });
});
