import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { lastJsonLine, runCli } from "../helpers/cli.js";
import { projectRoot } from "../helpers/paths.js";
import { waitFor } from "./waitFor.js";

describe("tendon sim --serve (CLI)", function () {
  this.timeout(60_000);

  it("prints its address, serves until POST /api/stop, then writes the summary and exits 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "sim", "--serve", "0", "--json"], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      const url = await waitFor(() => /^serving on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1], "the address", 30_000);
      const status = await waitFor(async () => {
        const s = (await (await fetch(`${url}/api/status`)).json()) as Record<string, any>;
        return s.ready && s.loop?.ticks > 10 && s;
      }, "the run to start");
      assert.deepEqual(Object.keys(status.owners), ["shoulder", "elbow", "biarticular"]);
      assert.equal((await fetch(`${url}/api/stop`, { method: "POST" })).status, 202);
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill("SIGKILL");
    }
    const summary = lastJsonLine(stdout);
    assert.equal(summary.mode, "realtime", "a served run is paced on the wall clock");
    assert.ok(summary.ticks > 10);
    assert.match(stderr, /shoulder: safe -> dep \(available\)/);
  });

  it("refuses a non-loopback address without a token, and a bad safety file, with exit code 2", async () => {
    const r = await runCli(["sim", "--serve", "0", "--host", "0.0.0.0"], { timeoutMs: 30_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to serve on 0\.0\.0\.0 without a token/);
    const bad = await runCli(["sim", "--serve", "0", "--safety", "/nonexistent.yaml"], { timeoutMs: 30_000 });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot read safety file '\/nonexistent\.yaml'/);
    const port = await runCli(["sim", "--serve", "http"], { timeoutMs: 30_000 });
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--serve needs a port number/);
  });
});
