/**
 * `tendon node` as a process: what ros2 launch does to it (SIGINT, then SIGTERM), SIGHUP
 * re-reading the params file, and failing fast with one line.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../helpers/paths.js";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs `tendon ARGS` from source without any ROS 2 environment; `onStderr` sees the output so far. */
function tendon(args: string[], onStderr?: (all: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
  const env = { ...process.env };
  for (const k of ["ROS_DISTRO", "AMENT_PREFIX_PATH", "ROS_VERSION"]) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), ...args], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      onStderr?.(stderr, (s) => child.kill(s));
    });
    child.stdout.resume();
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stderr });
    });
  });
}

/** Sends `signal` once the nodes have run for a while (after "running", a few hundred ms of ticks). */
function stopWith(signal: NodeJS.Signals) {
  let sent = false;
  return (all: string, kill: (s: NodeJS.Signals) => void): void => {
    if (!sent && all.includes("tendon: running")) {
      sent = true;
      setTimeout(() => kill(signal), 400);
    }
  };
}

describe("tendon node (a real process)", function () {
  this.timeout(60_000);

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} writes the safe command to the body, then the process exits 0`, async () => {
      const r = await tendon(["node", "sim", "controller", "--rate", "100"], stopWith(signal));
      assert.equal(r.signal, null, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`tendon: ${signal}: stopping \\(sim, controller\\)`));
      const m = /stopped after (\d+) ticks; wrote the safe command \[0, 0, 0, 0, 0, 0\] \(the last command before it: \[([^\]]*)\]\); the bridge reports controls \[0, 0, 0, 0, 0, 0\]/.exec(r.stderr);
      assert.ok(m, r.stderr);
      assert.ok(Number(m[1]) > 0);
      assert.ok(m[2].split(", ").some((u) => Number(u) !== 0), `the arm was commanded before the stop: [${m[2]}]`);
    });
  }

  it("SIGHUP re-reads the params file: a bad value is rejected with its reason, a good one accepted", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-hup-"));
    const file = path.join(dir, "p.yaml");
    fs.writeFileSync(file, "controller:\n  ros__parameters:\n    kappa: 100.0\n");
    let step = 0;
    const r = await tendon(["node", "controller", "--params-file", file], (all, kill) => {
      if (step === 0 && all.includes("tendon: running")) {
        step = 1;
        fs.writeFileSync(file, "controller:\n  ros__parameters:\n    kappa: -1.0\n");
        kill("SIGHUP");
      } else if (step === 1 && all.includes("parameters rejected")) {
        step = 2;
        fs.writeFileSync(file, "controller:\n  ros__parameters:\n    kappa: 50\n");
        kill("SIGHUP");
      } else if (step === 2 && all.includes("parameters re-read")) {
        step = 3;
        kill("SIGTERM");
      }
    });
    fs.rmSync(dir, { recursive: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /tendon: controller: parameters rejected: kappa \(-1\) must be a finite number > 0/);
    assert.match(r.stderr, /tendon: controller: parameters re-read from /);
  });

  it("--ros without a sourced ROS 2 fails fast: one line saying what is missing and how to source it", async () => {
    const r = await tendon(["node", "sim", "controller", "--ros"]);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^tendon: --ros needs a sourced ROS 2 \(ROS_DISTRO and AMENT_PREFIX_PATH not set\): run 'source \/opt\/ros\/jazzy\/setup.bash'/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("bad usage is one line and exit 2: an unknown node, a params file with a bad value", async () => {
    const unknown = await tendon(["node", "mystery"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^tendon: unknown node 'mystery': the nodes are sim, hardware, controller, teleop, learner, planner\n$/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-bad-"));
    const file = path.join(dir, "p.yaml");
    fs.writeFileSync(file, "controller:\n  ros__parameters:\n    tau: 2\n");
    const bad = await tendon(["node", "controller", "--params-file", file]);
    fs.rmSync(dir, { recursive: true });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^tendon: node 'controller': tau \(2\) must be an integer >= 3/);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  });
});
