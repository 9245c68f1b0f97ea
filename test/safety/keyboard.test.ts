import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { ApiServer } from "../../src/api/ApiServer.js";
import { SafetyLayer } from "../../src/safety/SafetyLayer.js";
import { KeyboardTeleop, splitKeys } from "../../src/safety/KeyboardTeleop.js";
import { projectRoot } from "../helpers/paths.js";
import { pairSpec } from "./helpers.js";
import { waitFor } from "./waitFor.js";

describe("KeyboardTeleop (keys to messages)", () => {
  it("splits what a raw terminal delivers at once into keys, escape sequences whole", () => {
    assert.deepEqual(splitKeys("2w\u001b[Aq"), ["2", "w", "\u001b[A", "q"]);
  });

  it("selects groups, steps effort, hands back, e-stops and resets", () => {
    const k = new KeyboardTeleop(["a", "b"]);
    const sent = (key: string) => k.key(key).flatMap((a) => (a.kind === "send" ? [a.message] : []));
    assert.deepEqual(sent("2"), []);
    assert.deepEqual(sent("w"), [{ type: "command", group: "b", effort: 0.1 }]);
    assert.deepEqual(sent("\u001b[A"), [{ type: "command", group: "b", effort: 0.2 }]);
    assert.deepEqual(sent("s"), [{ type: "command", group: "b", effort: 0.1 }]);
    assert.deepEqual(k.heartbeat(), { type: "heartbeat" });
    assert.deepEqual(sent("x"), [{ type: "release", group: "b" }]);
    assert.equal(k.heartbeat(), undefined, "nothing held: no heartbeat");
    assert.deepEqual(sent(" "), [{ type: "estop", reason: "space bar on the keyboard teleop" }]);
    assert.deepEqual(sent("R"), [{ type: "reset" }]);
    assert.deepEqual(
      k.key("q").map((a) => a.kind),
      ["send", "quit"],
    );
    for (let i = 0; i < 30; i++) k.key("w");
    assert.match(k.statusLine(), /b: \? \+1\.0/, "effort saturates at 1");
  });
});

const hasScript = spawnSync("script", ["--version"]).status === 0;

describe("tendon teleop --keyboard (in a pseudo-terminal)", function () {
  this.timeout(60_000);
  let api: ApiServer;
  let layer: SafetyLayer;
  let ticker: NodeJS.Timeout;
  let child: ChildProcess | undefined;

  before(async function () {
    // util-linux `script` gives the keyboard teleop a pseudo-terminal; it is part of every Debian.
    if (!hasScript) throw new Error("the keyboard test needs util-linux's `script` (apt-get install util-linux)");
    layer = new SafetyLayer({ spec: pairSpec(), controllerName: "dep" });
    // A pipeline without a body: the arbiter ticks at 100 Hz with DEP's command fixed.
    const out = new Float64Array(4);
    let t = 0;
    ticker = setInterval(() => {
      t += 0.01;
      layer.arbiter.feedController([0.2, 0.2, 0.2, 0.2]);
      layer.arbiter.update(t, 0.01, out, layer.limiter.lastCommand);
      layer.limiter.apply(out, 0.01, t, undefined, layer.arbiter.safeMask);
    }, 10);
    api = await ApiServer.start({ port: 0 });
    api.attach({ safety: layer });
  });

  after(async () => {
    clearInterval(ticker);
    child?.kill("SIGKILL");
    await api?.close();
    layer?.dispose();
  });

  it("raw keys take a group, e-stop, reset, and quitting hands the group back", async () => {
    const cli = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(path.join(projectRoot, "src", "cli", "run.ts"))} teleop --keyboard --url ${api.url}`;
    // util-linux `script` runs the command on a pseudo-terminal and relays our pipe to it.
    const c = spawn("script", ["-qfec", cli, "/dev/null"], { cwd: projectRoot, stdio: ["pipe", "pipe", "pipe"] });
    child = c;
    let screen = "";
    c.stdout!.setEncoding("utf8").on("data", (d: string) => (screen += d));
    c.stderr!.setEncoding("utf8").on("data", (d: string) => (screen += d));
    const exited = new Promise<number | null>((resolve) => c.on("close", resolve));
    await waitFor(() => screen.includes("b: dep"), "the status line", 30_000);
    const arbiter = layer.arbiter;
    c.stdin!.write("2");
    c.stdin!.write("ww");
    // Effort 0.2 drives b's flexor only (the extensor ramps down from DEP's 0.2 to 0).
    await waitFor(() => arbiter.owners[1] === "teleop" && Math.abs(layer.limiter.lastCommand[2] - 0.2) < 1e-9 && layer.limiter.lastCommand[3] === 0, "teleop to own group b");
    assert.equal(arbiter.owners[0], "dep");
    await waitFor(() => screen.includes("b: teleop +0.2"), "the status line to show the group taken");
    c.stdin!.write(" ");
    await waitFor(() => arbiter.estopLatched && arbiter.owners.every((o) => o === "estop"), "the e-stop");
    await waitFor(() => screen.includes("E-STOP LATCHED"), "the status line to show the e-stop");
    c.stdin!.write("R");
    await waitFor(() => !arbiter.estopLatched, "the reset");
    c.stdin!.write("2w");
    await waitFor(() => arbiter.owners[1] === "teleop", "teleop to take group b again");
    c.stdin!.write("q");
    assert.equal(await exited, 0, screen);
    await waitFor(() => arbiter.owners[1] === "dep", "quitting to hand group b back");
  });
});
