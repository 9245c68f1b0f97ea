/**
 * The hardware node with the real muscle-board bridge, over a pseudo-terminal to the board
 * simulator (needs socat, as the hardware tests do), composed with the controller.
 */
import assert from "node:assert/strict";
import type { BridgeNode } from "../../src/nodes/BridgeNode.js";
import type { ControllerNode } from "../../src/nodes/ControllerNode.js";
import { startNodes } from "../../src/nodes/nodeSet.js";
import { InProcessTransport } from "../../src/transport/InProcessTransport.js";
import { BoardSimulator } from "../../hardware/boardsim/BoardSimulator.js";

describe("hardware node on simulated muscle boards", function () {
  this.timeout(30_000);
  let sim: BoardSimulator | undefined;

  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it("reads the boards, drives them with DEP in PWM percent, and shuts the bridge down when stopped", async () => {
    sim = await BoardSimulator.start({ plant: "motors", muscles: 4, seed: 1 });
    const transport = new InProcessTransport({
      log: () => undefined,
      parameters: new Map<string, Record<string, unknown>>([
        ["hardware", { port: sim.hostPaths[0], rate_hz: 100, command_mode: "pwm" }],
        ["controller", { command_unit: "pwm_percent", command_min: 0, command_max: 50 }],
      ]),
    });
    const set = await startNodes({ nodes: ["hardware", "controller"], transport, durationSec: 1 });
    const board = sim.boards[0];
    // The highest motor output each board muscle reached while the nodes ran.
    const outputWhileRunning = [0, 0, 0, 0];
    const watch = setInterval(() => board.output.forEach((u, i) => (outputWhileRunning[i] = Math.max(outputWhileRunning[i], u))), 5);
    const hw = set.get<BridgeNode>("hardware")!;
    try {
      await set.finished;
      clearInterval(watch);
      assert.equal(hw.bridge.spec.muscles.length, 4);
      assert.equal(hw.bridge.spec.commandUnit, "pwm_percent");
      assert.ok(hw.counters.ticksCommanded > 50, `${hw.counters.ticksCommanded} ticks commanded`);
      assert.ok((set.get<ControllerNode>("controller")!.sourceTicks.get("dep") ?? 0) > 50);
      assert.ok(outputWhileRunning.some((u) => u > 0), `the boards drove their motors: [${outputWhileRunning.join(", ")}]`);
    } finally {
      clearInterval(watch);
      await set.stop();
      await transport.close();
    }
    assert.equal(hw.bridge.state, "finalized");
  });

  it("a board lost mid-run: an ERROR 'body link' status on /diagnostics at once and an error in the log", async () => {
    sim = await BoardSimulator.start({ plant: "motors", muscles: 2, seed: 1 });
    const logs: string[] = [];
    const transport = new InProcessTransport({
      log: (node, level, message) => logs.push(`${node} ${level} ${message}`),
      parameters: new Map<string, Record<string, unknown>>([
        ["hardware", { port: sim.hostPaths[0], rate_hz: 100, command_mode: "pwm" }],
        ["controller", { command_unit: "pwm_percent", command_min: 0, command_max: 50 }],
      ]),
    });
    const spy = transport.createNode("spy");
    const statuses: { level: number; name: string; message: string }[] = [];
    spy.subscribe("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics").subscribe((m) => statuses.push(...m.status.map((x) => ({ level: x.level, name: x.name, message: x.message }))));
    const set = await startNodes({ nodes: ["hardware", "controller"], transport, durationSec: 3 });
    try {
      await new Promise((r) => setTimeout(r, 500));
      await sim.unplug();
      const until = Date.now() + 10_000;
      while (!statuses.some((x) => x.level === 2) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      const error = statuses.find((x) => x.level === 2);
      assert.ok(error, `an ERROR status: ${JSON.stringify(statuses.slice(-3))}`);
      assert.equal(error.name, "hardware: body link");
      assert.match(error.message, /^board 1 on \S+ down for \d+\.\d s/);
      assert.ok(logs.some((l) => /^hardware error board 1 on \S+ down for .*safe command/.test(l)), logs.join("\n"));
      const hw = set.get<BridgeNode>("hardware")!;
      assert.ok(hw.bridge.health?.().level === "error");
    } finally {
      await set.stop();
      await transport.close();
    }
  });

  it("a port that does not open fails the start with the bridge's reason", async () => {
    const transport = new InProcessTransport({ log: () => undefined, parameters: new Map([["hardware", { port: "/dev/tendon-no-such-port", rate_hz: 100 }]]) });
    await assert.rejects(startNodes({ nodes: ["hardware"], transport }), /tendon-no-such-port/);
  });
});
