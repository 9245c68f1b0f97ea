/**
 * The muscle-board bridge against simulated boards on real pseudo-terminals (socat): several
 * boards and ports, corruption on the wire, board resets, a pulled cable, silent boards and a
 * silent host. Every wait is for a condition, with a timeout; no test asserts timing.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createSensorFrame } from "../../src/core/frames.js";
import { MuscleBoardBridge } from "../../hardware/MuscleBoardBridge.js";
import type { MuscleBoardBridgeOptions } from "../../hardware/options.js";
import { BoardFlag, FaultCode } from "../../hardware/protocol/constants.js";
import { BoardSimulator, type BoardSimulatorOptions } from "../../hardware/boardsim/BoardSimulator.js";
import { PtyPair } from "../../hardware/boardsim/PtyPair.js";
import { CommandPump, has, recordEvents, waitFor } from "./helpers.js";

const haveSocat = ((): boolean => {
  try {
    execFileSync("socat", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Timing for tests: long enough not to trip on a loaded 2-core machine, short enough to be quick. */
const TIMING: Partial<MuscleBoardBridgeOptions> = { hostWatchdogMs: 400, boardWatchdogMs: 300, staleAfterMs: 100, reconnectMs: 100, retryMs: 50, discoverMs: 200 };

describe("muscle boards over pseudo-terminals", function () {
  this.timeout(30_000);
  let sim: BoardSimulator | undefined;
  let bridge: MuscleBoardBridge | undefined;
  let pump: CommandPump | undefined;

  before(function () {
    if (!haveSocat) {
      // CI installs socat (.ci/run); without it these tests cannot make a serial port.
      throw new Error("socat is not installed (Debian: apt-get install socat); the serial tests need its pseudo-terminals");
    }
  });

  afterEach(async () => {
    pump?.stop();
    pump = undefined;
    await bridge?.shutdown();
    bridge = undefined;
    await sim?.stop();
    sim = undefined;
  });

  async function start(simOptions: BoardSimulatorOptions, bridgeOptions: (s: BoardSimulator) => Partial<MuscleBoardBridgeOptions> = (s) => ({ ports: s.hostPaths.map((p) => ({ path: p })) })): Promise<{ sim: BoardSimulator; bridge: MuscleBoardBridge }> {
    sim = await BoardSimulator.start({ plant: "motors", muscles: 4, ...simOptions });
    bridge = new MuscleBoardBridge({ ...TIMING, ...bridgeOptions(sim) } as MuscleBoardBridgeOptions);
    await bridge.configure();
    await bridge.activate();
    return { sim, bridge };
  }

  const near = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

  it("finds several boards on one port and on several ports, and commands each muscle", async () => {
    const { sim, bridge } = await start({ muscles: 6, boards: 3, ports: 2 }, (s) => ({
      // Port 0 is discovered (boards 1 and 3), port 1 names its board.
      ports: [{ path: s.hostPaths[0] }, { path: s.hostPaths[1], boards: [2] }],
    }));
    assert.deepEqual(sim.portBoards, [[1, 3], [2]]);
    assert.deepEqual(
      bridge.spec.muscles.map((m) => m.name),
      ["b1.m0", "b1.m1", "b3.m0", "b3.m1", "b2.m0", "b2.m1"],
    );
    assert.equal(bridge.spec.commandUnit, "pwm_percent");
    pump = new CommandPump(bridge, (_k, v) => v.forEach((_, i) => (v[i] = 10 * (i + 1))));
    const expect: Record<number, number[]> = { 1: [0.1, 0.2], 3: [0.3, 0.4], 2: [0.5, 0.5] }; // 60 % is clamped to the 50 % maximum
    await waitFor(() => Object.entries(expect).every(([id, out]) => out.every((o, i) => near(sim.board(Number(id)).output[i], o))), "every board's outputs");
    const frame = createSensorFrame(bridge.spec);
    await waitFor(() => bridge.read(0, 0.002, frame) && frame.muscleForceN.every((f) => f > 1), "fresh readings with tension on every muscle");
    assert.ok(frame.muscleActivation.every((a, i) => near(a, [0.1, 0.2, 0.3, 0.4, 0.5, 0.5][i])));
    assert.deepEqual(frame.muscleControl, Float64Array.from([10, 20, 30, 40, 50, 50]));
    const c = bridge.linkCounters();
    assert.equal(c.crcErrors, 0);
    assert.equal(c.boards, 3);
    assert.ok(c.roundTrip.samples > 0);
  });

  it("keeps going through garbage, flipped bits, dropped and delayed frames, and counts them", async () => {
    const { sim, bridge } = await start({ faults: { garbage: 0.05, bitFlip: 0.05, drop: 0.03, delay: 0.01, delayMs: 5 }, seed: 3 });
    pump = new CommandPump(bridge, (_k, v) => v.fill(20));
    const frame = createSensorFrame(bridge.spec);
    await waitFor(() => bridge.linkCounters().statusFrames >= 400, "400 status frames", 15_000);
    const c = bridge.linkCounters();
    assert.ok(c.crcErrors > 0, "some CRC errors were seen");
    assert.ok(c.resyncs >= c.crcErrors);
    assert.ok(c.drops > 0, "dropped frames show as sequence gaps");
    assert.equal(c.malformed, 0, "nothing corrupted got past the CRC");
    await waitFor(() => bridge.read(0, 0.002, frame) && frame.muscleForceN.every((f) => f > 0), "fresh readings with tension");
    assert.ok(frame.muscleForceN.every((f) => Number.isFinite(f) && f < 250), `forces ${Array.from(frame.muscleForceN)}`);
    const injected = sim.portCounters()[0].faults;
    assert.ok(injected.bitFlips > 0 && injected.garbageBursts > 0 && injected.drops > 0);
  });

  it("detects a board reset mid-run and configures the board again", async () => {
    const { sim, bridge } = await start({});
    const events = recordEvents(bridge);
    pump = new CommandPump(bridge, (_k, v) => v.fill(30));
    await waitFor(() => near(sim.board(1).output[0], 0.3), "the board to follow the command");
    sim.resetBoard(1);
    await waitFor(() => has(events, (e) => e.type === "board" && e.kind === "reset"), "the reset to be reported");
    await waitFor(
      () => bridge.boards()[0].state === "ready" && bridge.linkCounters().configurations >= 2 && sim.board(1).configured && near(sim.board(1).output[0], 0.3),
      "the board configured and driven again",
    );
    assert.equal(bridge.linkCounters().boardResets, 1);
  });

  it("detects a reset whose announcement was lost, from the status flags", async () => {
    const { sim, bridge } = await start({});
    const events = recordEvents(bridge);
    pump = new CommandPump(bridge, (_k, v) => v.fill(30));
    await waitFor(() => near(sim.board(1).output[0], 0.3), "the board to follow the command");
    sim.inject({ kind: "drop" }); // the board's power-on IDENTIFY
    sim.resetBoard(1);
    await waitFor(() => has(events, (e) => e.type === "board" && e.kind === "reset" && e.message.includes("configured flag")), "the reset seen from a status");
    await waitFor(() => sim.board(1).configured && near(sim.board(1).output[0], 0.3), "the board configured and driven again");
  });

  it("survives a pulled cable: safe command meanwhile, reconnected and configured after", async () => {
    const { sim, bridge } = await start({});
    const events = recordEvents(bridge);
    pump = new CommandPump(bridge, (_k, v) => v.fill(30));
    await waitFor(() => near(sim.board(1).output[0], 0.3), "the board to follow the command");
    await sim.unplug();
    await waitFor(() => has(events, (e) => e.type === "problem" && e.code === "link_lost"), "link_lost");
    // The board hears nothing: its watchdog turns the muscles off. The host reads a stale link.
    await waitFor(() => sim.board(1).watchdogTripped && sim.board(1).output.every((o) => o === 0), "the board in safe mode");
    const frame = createSensorFrame(bridge.spec);
    assert.equal(bridge.read(0, 0.002, frame), false, "a lost board gives a stale reading");
    assert.equal(bridge.boards()[0].state, "lost");
    await sim.reconnect();
    await waitFor(() => has(events, (e) => e.type === "problem" && e.code === "link_restored"), "link_restored");
    await waitFor(() => near(sim.board(1).output[0], 0.3) && bridge.read(0, 0.002, frame), "commands and readings flowing again");
    assert.ok(bridge.linkCounters().reconnects >= 1);
  });

  it("trips the host watchdog when a board falls silent, and takes it back when it speaks", async () => {
    const { sim, bridge } = await start({ boards: 2 });
    const events = recordEvents(bridge);
    pump = new CommandPump(bridge, (_k, v) => v.fill(30));
    await waitFor(() => near(sim.board(2).output[0], 0.3), "the boards to follow the command");
    sim.mute(2, true);
    await waitFor(() => has(events, (e) => e.type === "problem" && e.code === "link_lost" && e.message.includes("board 2")), "link_lost for board 2");
    const lost = bridge.boards().find((b) => b.id === 2)!;
    assert.equal(lost.state, "lost");
    assert.ok(lost.counters.watchdogTrips >= 1);
    // The other board on the port carries on.
    const other = (): ReturnType<MuscleBoardBridge["boards"]>[number] => bridge.boards().find((b) => b.id === 1)!;
    const sent = lost.counters.commandsSent;
    const otherSent = other().counters.commandsSent;
    await waitFor(() => other().state === "ready" && other().counters.commandsSent > otherSent + 20, "more commands to the other board");
    assert.ok(bridge.boards().find((b) => b.id === 2)!.counters.commandsSent <= sent + 1, "no commands to a lost board");
    sim.mute(2, false);
    await waitFor(() => has(events, (e) => e.type === "problem" && e.code === "link_restored" && e.message.includes("board 2")), "link_restored for board 2");
    await waitFor(() => bridge.boards().every((b) => b.state === "ready") && near(sim.board(2).output[0], 0.3), "both boards driven again");
  });

  it("trips the board watchdog when the host falls silent", async () => {
    const { sim, bridge } = await start({});
    const events = recordEvents(bridge);
    pump = new CommandPump(bridge, (_k, v) => v.fill(30));
    await waitFor(() => near(sim.board(1).output[0], 0.3), "the board to follow the command");
    pump.stop(); // the host is still connected, but sends no more commands
    await waitFor(() => sim.board(1).watchdogTripped && sim.board(1).output.every((o) => o === 0), "the board watchdog to turn the muscles off");
    await waitFor(
      () => has(events, (e) => e.type === "board" && e.kind === "fault" && e.fault?.code === FaultCode.Watchdog),
      "the board's watchdog fault report",
    );
    const frame = createSensorFrame(bridge.spec);
    await waitFor(() => bridge.read(0, 0.002, frame) && frame.muscleActivation.every((a) => a === 0), "readings of zero output");
    pump = new CommandPump(bridge, (_k, v) => v.fill(30));
    await waitFor(() => !sim.board(1).watchdogTripped && near(sim.board(1).output[0], 0.3), "commands to resume the muscles");
    assert.ok(BoardFlag.Watchdog > 0);
  });

  it("shutdown() gets the safe command to the boards before the port closes", async () => {
    // A board watchdog far longer than the wait below: only the host's own frames can turn the muscles off.
    const { sim, bridge: b } = await start({}, (s) => ({ ports: s.hostPaths.map((p) => ({ path: p })), boardWatchdogMs: 10_000 }));
    pump = new CommandPump(b, (_k, v) => v.fill(30));
    await waitFor(() => near(sim.board(1).output[0], 0.3), "the board to follow the command");
    pump.stop();
    pump = undefined;
    await b.shutdown();
    bridge = undefined;
    await waitFor(() => sim.board(1).output.every((o) => o === 0), "the muscles off after shutdown", 2_000);
    assert.equal(sim.board(1).watchdogTripped, false, "turned off by the host, not by the board's watchdog");
  });

  it("e-stop wins over commands until released", async () => {
    const { sim, bridge } = await start({});
    pump = new CommandPump(bridge, (_k, v) => v.fill(30));
    await waitFor(() => near(sim.board(1).output[0], 0.3), "the board to follow the command");
    bridge.estop(true);
    await waitFor(() => sim.board(1).estopEngaged && sim.board(1).output.every((o) => o === 0), "e-stop to turn every muscle off");
    const n = sim.board(1).counters.commands;
    await waitFor(() => sim.board(1).counters.commands > n + 10, "commands still arriving");
    assert.ok(sim.board(1).output.every((o) => o === 0), "commands do not override the e-stop");
    bridge.estop(false);
    await waitFor(() => !sim.board(1).estopEngaged && near(sim.board(1).output[0], 0.3), "release and the next command");
  });

  it("limits commands on the host: NaN, infinities and out-of-range values never reach a board", async () => {
    const { sim, bridge } = await start({ muscles: 6 });
    pump = new CommandPump(bridge, (_k, v) => v.set([NaN, Infinity, -5, 500, 25, -Infinity]));
    await waitFor(() => sim.board(1).counters.commands > 5, "commands");
    await waitFor(() => [0, 0, 0, 0.5, 0.25, 0].every((o, i) => near(sim.board(1).output[i], o)), "limited outputs");
    const frame = createSensorFrame(bridge.spec);
    bridge.read(0, 0.002, frame);
    assert.deepEqual(Array.from(frame.muscleControl), [0, 0, 0, 50, 25, 0]);
  });

  it("fails configure() with a clear message when the port is missing or no board answers", async () => {
    const missing = new MuscleBoardBridge({ ports: [{ path: path.join(os.tmpdir(), "tendon-no-such-device") }] });
    await assert.rejects(missing.configure(), /cannot open .*tendon-no-such-device/);
    assert.equal(missing.state, "unconfigured");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-empty-"));
    const pty = await PtyPair.open({ links: [path.join(dir, "a"), path.join(dir, "b")] });
    try {
      const nobody = new MuscleBoardBridge({ ports: [{ path: pty.paths[0] }], configureTimeoutMs: 200 });
      await assert.rejects(nobody.configure(), /no muscle board answered/);
      const named = new MuscleBoardBridge({ ports: [{ path: pty.paths[0], boards: [5] }], configureTimeoutMs: 200 });
      await assert.rejects(named.configure(), /board 5 \(no answer to IDENTIFY\)/);
    } finally {
      await pty.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
