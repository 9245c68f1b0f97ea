/**
 * A board lost for good during `tendon hw`: said at once on stderr, held at the safe command,
 * listed by kind in the summary, and the run fails (exit 1) because it ended with the link down.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readMessages } from "../../src/observability/readRecording.js";
import { runHw } from "../../src/app/runHw.js";
import { BoardSimulator } from "../../hardware/boardsim/BoardSimulator.js";
import { lastJsonLine, runCli } from "../helpers/cli.js";
import { projectRoot } from "../helpers/paths.js";

const haveSocat = ((): boolean => {
  try {
    execFileSync("socat", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("a lost board is loud", function () {
  this.timeout(90_000);

  before(function () {
    if (!haveSocat) throw new Error("socat is not installed (Debian: apt-get install socat); the serial tests need its pseudo-terminals");
  });

  it("runHw: the safe command every tick after the loss, link_lost counted, the link reported down at the end", async () => {
    const sim = await BoardSimulator.start({ plant: "motors", muscles: 2 });
    try {
      const written: { t: number; source: string; values: number[] }[] = [];
      let lostAt: number | undefined;
      const rateHz = 100;
      const run = await runHw({
        bridge: { ports: sim.hostPaths.map((p) => ({ path: p })), hostWatchdogMs: 300, boardWatchdogMs: 300, reconnectMs: 100 },
        durationSec: 2.5,
        rateHz,
        onEvent: (e) => {
          if (e.type === "problem" && e.code === "link_lost") lostAt ??= written.length;
        },
        onLoop: (loop) => {
          loop.cycles$.subscribe((c) => {
            written.push({ t: c.tick.startSec, source: c.source, values: Array.from(c.command.values) });
            if (written.length === 50) void sim.unplug();
          });
        },
      });
      assert.ok(lostAt !== undefined, "link_lost was emitted");
      assert.equal(run.linkAtEnd.level, "error");
      assert.match(run.linkAtEnd.message, /board 1 on \S+ down for \d+\.\d s \(port \S+ lost/);
      assert.equal(run.linkAtEnd.down.length, 1);
      assert.ok((run.problemCounts.link_lost ?? 0) >= 1, JSON.stringify(run.problemCounts));
      assert.ok((run.problemCounts.stale_sensors ?? 0) >= 1, "the loop saw the stale readings");
      // From a few ticks after the loss (the loop's stale-sensor watchdog: 5 ticks) to the end: only the safe command (0 PWM).
      const after = written.slice(lostAt! + 6);
      assert.ok(after.length > 50, `ticks after the loss: ${after.length}`);
      for (const w of after) assert.deepEqual(w.values, [0, 0], `tick at ${w.t} s wrote ${w.values} (${w.source})`);
    } finally {
      await sim.stop();
    }
  });

  it("tendon hw: a WARNING line at once, problems by kind, 'link at end DOWN', exit code 1; the board-sim killed with SIGKILL leaves no socat behind", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "board-sim"], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /^port (\S+) boards \S+$/m.exec(out);
        if (m) resolve(m[1]);
      });
      child.once("close", (code) => reject(new Error(`board-sim exited (${code}) before it was ready`)));
    });
    const childrenOf = (pid: string): string[] => {
      try {
        return execFileSync("pgrep", ["-P", pid], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
      } catch {
        return [];
      }
    };
    // Every process below the board simulator (socat, and whatever runs it).
    const descendants = (pid: string): string[] => childrenOf(pid).flatMap((c) => [c, ...descendants(c)]);
    const children = descendants(String(child.pid));
    assert.ok(children.length > 0, "board-sim runs socat");
    const recording = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tendon-lost-")), "run.mcap");
    // --serve: the API says when the loop runs (no fixed sleep on a loaded machine).
    let api: string | undefined;
    let stderr = "";
    const hw = runCli(["hw", "--port", port, "--duration", "6", "--json", "--host-watchdog-ms", "300", "--board-watchdog-ms", "300", "--no-progress", "--record", recording, "--serve", "0"], {
      timeoutMs: 60_000,
      onStderr: (chunk) => {
        stderr += chunk;
        api ??= /dashboard (http:\/\/\S+)\/dashboard\//.exec(stderr)?.[1];
      },
    });
    const ticks = async (): Promise<number> => {
      if (!api) return 0;
      const s = (await (await fetch(`${api}/api/status`)).json()) as { loop?: { ticks?: number } };
      return s.loop?.ticks ?? 0;
    };
    for (let i = 0; i < 600 && (await ticks().catch(() => 0)) < 300; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await ticks()) >= 300, "the run got going");
    // Then kill the board simulator the hard way.
    const closed = new Promise((r) => child.once("close", r));
    child.kill("SIGKILL");
    await closed;
    const r = await hw;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^tendon hw: WARNING: board 1 on \S+: port \S+ lost/m);
    assert.match(r.stderr, /^tendon hw: the run ended with the link down: board 1 on \S+ down for/m);
    assert.match(r.stdout, /^ {2}problems {7}\d+: .*link_lost x1/m);
    assert.match(r.stdout, /^ {4}link_lost {10}first: board 1 on /m);
    assert.match(r.stdout, /^ {2}link at end {4}DOWN: board 1 on /m);
    const j = lastJsonLine(r.stdout);
    assert.equal(j.linkAtEnd.level, "error");
    assert.equal(j.problemCounts.link_lost, 1);
    // The recording holds the loss as an ERROR on /diagnostics.
    const errors: { level: number; name: string; message: string }[] = [];
    for await (const m of readMessages(recording, { topics: ["/diagnostics"] })) {
      for (const st of (m.message as { status: { level: number; name: string; message: string }[] }).status) if (st.level === 2) errors.push(st);
    }
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0].name, "link");
    assert.match(errors[0].message, /^board 1 on \S+: port \S+ lost/);
    fs.rmSync(path.dirname(recording), { recursive: true, force: true });
    // socat does not outlive its board simulator.
    for (const pid of children) {
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        try {
          process.kill(Number(pid), 0);
          await new Promise((res) => setTimeout(res, 50));
        } catch {
          alive = false;
        }
      }
      assert.equal(alive, false, `socat ${pid} outlived the killed board-sim`);
    }
  });
});
