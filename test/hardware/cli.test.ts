/**
 * The whole path without hardware, as CI runs it: `tendon board-sim` (the simulated arm's
 * physics behind boards on a pseudo-terminal) and `tendon hw` (DEP through the real-time loop and
 * the serial driver) in two processes.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { lastJsonLine, runCli } from "../helpers/cli.js";
import { projectRoot } from "../helpers/paths.js";

function startBoardSim(args: string[]): Promise<{ child: ChildProcess; ports: string[]; config: string; stopped: Promise<number | null> }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "board-sim", ...args], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stopped = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`board-sim printed no port within 30 s: ${err}`));
    }, 30_000);
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const ports = [...out.matchAll(/^port (\S+) boards \S+$/gm)].map((m) => m[1]);
      const config = /^config (\S+)$/m.exec(out)?.[1];
      // The port lines come once the boards are up, then the configuration file for the host.
      if (ports.length > 0 && config !== undefined) {
        clearTimeout(timer);
        resolve({ child, ports, config, stopped });
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`board-sim exited (${code}) before it was ready: ${err}`));
    });
  });
}

describe("tendon hw and tendon board-sim (CLI)", function () {
  this.timeout(90_000);

  it("runs DEP on simulated boards over a pseudo-terminal and reports the run and the link in JSON", async () => {
    const sim = await startBoardSim(["--boards", "2"]);
    try {
      const r = await runCli(["hw", "--port", sim.ports[0], "--duration", "2", "--json", "--host-watchdog-ms", "500", "--board-watchdog-ms", "500"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^tendon hw: boards \(6 muscles, 2 joints\), dep, seed 0, realtime$/m);
      assert.match(r.stdout, /^ {2}link {11}1 port\(s\), 2 board\(s\)/m);
      const j = lastJsonLine(r.stdout);
      assert.equal(j.mode, "realtime");
      assert.equal(j.rateHz, 500);
      assert.equal(j.ticks, 1000);
      assert.equal(j.commandUnit, "pwm_percent");
      assert.deepEqual(j.muscles, ["b1.m0", "b1.m1", "b1.m2", "b2.m0", "b2.m1", "b2.m2"]);
      assert.deepEqual(j.joints, ["b1.j0", "b1.j1"]);
      assert.equal(typeof j.coverage, "number");
      assert.ok(j.coverage > 0 && j.coverage <= 1);
      assert.ok(j.loop.p99PeriodErrorMs >= 0);
      assert.equal(j.link.boards, 2);
      assert.equal(j.link.crcErrors, 0, "a clean link has no CRC errors");
      assert.ok(j.link.statusFrames > 500, `status frames ${j.link.statusFrames}`);
      assert.ok(j.link.commandsSent > 500, `commands ${j.link.commandsSent}`);
      assert.ok(j.link.roundTrip.samples > 0 && j.link.roundTrip.p99Ms > 0);
      assert.equal(j.boards.length, 2);
      // The boards' joints have no range: the summary says the coverage grid is [-pi, pi].
      assert.deepEqual(j.unrangedJoints, ["b1.j0", "b1.j1"]);
      assert.match(r.stdout, /^ {17}b1\.j0, b1\.j1 have no range: \[-pi, pi\] counted, .*give joints' rangeRad in --config; tendon board-sim writes one/m);
    } finally {
      sim.child.kill("SIGINT");
      assert.equal(await sim.stopped, 0);
    }
  });

  it("board-sim writes a host configuration with the ports and the arm's joints and limits; tendon hw --config takes it", async () => {
    const sim = await startBoardSim([]);
    try {
      const config = JSON.parse(fs.readFileSync(sim.config, "utf8"));
      assert.deepEqual(config.ports, [{ path: sim.ports[0], boards: [1] }]);
      // The built-in arm's joints, as tendon sim's coverage grid has them.
      assert.deepEqual(config.joints, [
        { name: "shoulder", rangeRad: [-1.2, 1.8] },
        { name: "elbow", rangeRad: [0, 2.4] },
      ]);
      const r = await runCli(["hw", "--config", sim.config, "--duration", "1", "--json", "--host-watchdog-ms", "500", "--board-watchdog-ms", "500"]);
      assert.equal(r.code, 0, r.stderr);
      const j = lastJsonLine(r.stdout);
      assert.deepEqual(j.joints, ["shoulder", "elbow"]);
      assert.deepEqual(j.unrangedJoints, []);
      assert.doesNotMatch(r.stdout, /no range/);
    } finally {
      sim.child.kill("SIGINT");
      assert.equal(await sim.stopped, 0);
    }
  });

  it("says what is wrong with bad usage", async () => {
    const none = await runCli(["hw"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give the boards' serial device with --port PATH/);
    const missing = await runCli(["hw", "--port", "/tmp/tendon-no-such-port", "--duration", "1"]);
    // A device that is not there is a usage error, said before anything starts, with what to check.
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^tendon: no serial device at \/tmp\/tendon-no-such-port: check that the board is plugged in/m);
    const ports = await runCli(["board-sim", "--ports", "2", "--boards", "1"]);
    assert.equal(ports.code, 2);
    assert.match(ports.stderr, /--ports 2 is more than --boards 1/);
  });
});
