import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { readMessages, summarizeRecording } from "../../src/observability/readRecording.js";
import { lastJsonLine, runCli } from "../helpers/cli.js";
import { projectRoot } from "../helpers/paths.js";
import { tempDir, until } from "./helpers.js";

describe("observability: the CLI", function () {
  this.timeout(90_000);
  let dir: string;
  before(() => (dir = tempDir("cli")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("tendon sim --record writes a recording that tendon info and tendon report describe", async () => {
    const file = path.join(dir, "run.mcap");
    const r = await runCli(["sim", "--duration", "4", "--compare-noise", "--record", file, "--json", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    const summary = lastJsonLine(r.stdout);
    assert.equal(summary.recording.path, file);
    assert.equal(summary.recording.dropped, 0);
    assert.match(r.stdout, /recording {6}.*run\.mcap: \d+ messages in \d+ chunks/);

    const info = await runCli(["info", file]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /file {11}complete/);
    assert.match(info.stdout, /duration {7}3\.980 s/);
    for (const [topic, type, count] of [
      ["/clock", "rosgraph_msgs/msg/Clock", 200],
      ["/joint_states", "sensor_msgs/msg/JointState", 200],
      ["/muscle_states", "sensor_msgs/msg/JointState", 200],
      ["/muscle_commands", "std_msgs/msg/Float64MultiArray", 200],
      ["/muscle_commands/dep", "std_msgs/msg/Float64MultiArray", 200],
      ["/transitions", "std_msgs/msg/Float64MultiArray", 200],
      ["/dep/matrix", "std_msgs/msg/Float64MultiArray", 40],
      ["/diagnostics", "diagnostic_msgs/msg/DiagnosticArray", 4],
    ] as const) {
      assert.match(info.stdout, new RegExp(`\\n    ${topic.replace(/\//g, "\\/")} +${type.replace(/\//g, "\\/")} +${count} msgs`), topic);
    }
    assert.match(info.stdout, /run {12}tendon sim: dep on arm2j6m at 50\.0 Hz/);
    const json = await runCli(["info", file, "--json"]);
    assert.equal(lastJsonLine(json.stdout).truncated, false);

    const report = await runCli(["report", file, "-o", path.join(dir, "run.html")]);
    assert.equal(report.code, 0, report.stderr);
    const html = fs.readFileSync(path.join(dir, "run.html"), "utf8");
    // Self-contained: uPlot inlined, no external script or style.
    assert.match(html, /uPlot/);
    assert.doesNotMatch(html, /<script src=|<link /);
    assert.match(html, /Joint-space coverage/);
    assert.match(html, /"noise":\{"bins":20/);
  });

  it("tendon info says clearly when a file was cut short, and bad files give one line and exit 2", async () => {
    const file = path.join(dir, "run.mcap");
    const full = fs.readFileSync(file);
    const cut = path.join(dir, "cut.mcap");
    fs.writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.8)));
    const info = await runCli(["info", cut]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /file {11}TRUNCATED: the file was cut short/);
    assert.match(info.stdout, /summary {8}none \(the run did not finish\)|\/muscle_states/);
    const notMcap = path.join(dir, "not.mcap");
    fs.writeFileSync(notMcap, "hello");
    const bad = await runCli(["info", notMcap]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^tendon: cannot read '.*not\.mcap': /);
    const missing = await runCli(["info", path.join(dir, "none.mcap")]);
    assert.equal(missing.code, 2);
  });

  it("a run killed with SIGKILL leaves a file readable up to its last complete chunk", async () => {
    const file = path.join(dir, "killed.mcap");
    const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "sim", "--realtime", "--duration", "600", "--record", file, "--no-progress"], {
      cwd: projectRoot,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    try {
      // Chunks reach the file at least once a second: wait for two of them.
      await until("two chunks on disk", async () => {
        const s = await summarizeRecording(file);
        return s.chunkCount >= 2 ? s : undefined;
      });
    } finally {
      child.kill("SIGKILL");
    }
    assert.equal(await exited, "SIGKILL");
    const s = await summarizeRecording(file);
    assert.equal(s.complete, false);
    assert.ok(s.messageCount > 0);
    let decoded = 0;
    const muscleStates: unknown[] = [];
    for await (const m of readMessages(file)) {
      decoded++;
      if (m.topic === "/muscle_states") muscleStates.push(m.message);
    }
    assert.equal(decoded, s.messageCount);
    assert.ok(muscleStates.length > 0);
    const info = await runCli(["info", file]);
    assert.equal(info.code, 0);
    assert.match(info.stdout, /TRUNCATED/);
    assert.match(info.stdout, /\/muscle_states +sensor_msgs\/msg\/JointState/);
  });

  it("tendon node --record records every topic the composed nodes publish, on simulated time in lockstep", async () => {
    const file = path.join(dir, "nodes.mcap");
    const r = await runCli(["node", "sim", "controller", "--lockstep", "--duration", "2", "--record", file]);
    assert.equal(r.code, 0, r.stderr);
    const s = await summarizeRecording(file);
    assert.equal(s.complete, true);
    const count = (t: string): number => s.channels.find((c) => c.topic === t)?.count ?? -1;
    assert.equal(count("/clock"), 200);
    assert.equal(count("/muscle_states"), 200);
    assert.equal(count("/joint_states"), 200);
    assert.ok(count("/muscle_commands") >= 199);
    assert.ok(count("/dep/matrix") > 0 && count("/arbiter/owners") > 0);
    // Log times follow /clock: 2 s of simulated time, whatever the wall time was.
    assert.ok(Math.abs(Number(s.endNs - s.startNs) / 1e9 - 1.99) < 0.02, `${Number(s.endNs - s.startNs) / 1e9} s`);
  });

  it("tendon hw --record records the run on simulated muscle boards", async () => {
    const sim = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "board-sim", "--boards", "2"], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
    const stopped = new Promise((resolve) => sim.on("close", resolve));
    try {
      let out = "";
      sim.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
      sim.stderr!.resume();
      const port = await until("the board simulator's port", async () => /^port (\S+) boards/m.exec(out)?.[1]);
      const file = path.join(dir, "hw.mcap");
      const r = await runCli(["hw", "--port", port, "--duration", "1", "--record", file, "--json", "--host-watchdog-ms", "500", "--board-watchdog-ms", "500"]);
      assert.equal(r.code, 0, r.stderr);
      const j = lastJsonLine(r.stdout);
      const s = await summarizeRecording(file);
      assert.equal(s.complete, true);
      assert.equal(s.channels.find((c) => c.topic === "/muscle_states")?.count, j.ticks);
      assert.equal(s.channels.find((c) => c.topic === "/clock"), undefined, "no /clock on hardware");
      assert.equal(s.metadata.get("tendon.run")?.command, "hw");
      assert.equal(JSON.parse(s.metadata.get("tendon.summary")!.json).link.boards, 2);
    } finally {
      sim.kill("SIGINT");
      await stopped;
    }
  });
});
