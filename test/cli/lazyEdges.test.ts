import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../helpers/paths.js";

/** The edges that only the commands needing them may load. */
const HEAVY = ["ws", "@mujoco/mujoco", "@tensorflow/tfjs", "@mcap/core", "serialport", "rclnodejs"];

/** Runs `node [--import tsx] --import importLog.mjs ARGS` and returns the packages under node_modules it loaded. */
function loadedPackages(args: string[]): Promise<{ code: number | null; stderr: string; packages: Set<string> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-imports-"));
  const log = path.join(dir, "imports.txt");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", path.join(projectRoot, "test", "helpers", "importLog.mjs"), ...args], {
      cwd: projectRoot,
      env: { ...process.env, TENDON_IMPORT_LOG: log },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n") : [];
      fs.rmSync(dir, { recursive: true });
      const packages = new Set<string>();
      for (const line of lines) {
        const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(line);
        if (m) packages.add(m[1].replace("\\", "/"));
      }
      resolve({ code, stderr, packages });
    });
  });
}

const cli = ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts")];

describe("tendon start-up: heavy edges load lazily", function () {
  this.timeout(60_000);

  it("sees a heavy package when one is loaded (the check itself works)", async () => {
    const r = await loadedPackages(["--input-type=module", "-e", "await import('ws'); await import('serialport');"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.packages.has("ws"), [...r.packages].join(", "));
    assert.ok(r.packages.has("serialport"), [...r.packages].join(", "));
  });

  it("`tendon --help` loads none of ws, MuJoCo, TensorFlow.js, MCAP, serialport, rclnodejs", async () => {
    const r = await loadedPackages([...cli, "--help"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.packages.has("commander"), "the log holds the packages --help does load");
    assert.deepEqual(HEAVY.filter((p) => r.packages.has(p)), []);
  });

  it("`tendon dep replay` loads none of them either", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-replay-"));
    try {
      const input = path.join(dir, "in.json");
      fs.writeFileSync(input, JSON.stringify({ inputs: [[0.1, 0.2], [0.2, 0.1], [0.15, 0.15]] }));
      const r = await loadedPackages([...cli, "dep", "replay", input]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(HEAVY.filter((p) => r.packages.has(p)), []);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
