import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BUILTIN_MODELS, builtinModelDir } from "../../sim/modelSource.js";
import { lastJsonLine, runCli } from "../helpers/cli.js";
import { spawn } from "node:child_process";
import { summarizeRecording } from "../../src/observability/readRecording.js";
import { projectRoot } from "../helpers/paths.js";
import { recordSim, until } from "../observability/helpers.js";

/** Every run says what it ran, and a recording's run can be repeated from it. */
describe("tendon sim says what it ran, and repeats a recorded run", function () {
  this.timeout(60_000);
  let tmp: string;
  let rec: string;
  let first: Record<string, any>;
  let firstOut: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-identity-"));
    rec = path.join(tmp, "a.mcap");
    const r = await runCli(["sim", "--duration", "1", "--preset", "myosuite", "--seed", "3", "--frame-skip", "5", "--record", rec, "--json", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    first = lastJsonLine(r.stdout);
    firstOut = r.stdout;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("puts the preset, the effective DEP parameters, mapping, rate, frame skip, model hash, version and seed in the summary and the JSON", () => {
    const id = first.identity;
    const modelFile = path.join(builtinModelDir(), BUILTIN_MODELS.arm2j6m.file);
    assert.equal(id.modelSha256, crypto.createHash("sha256").update(fs.readFileSync(modelFile)).digest("hex"));
    assert.equal(id.tendonVersion, JSON.parse(fs.readFileSync("package.json", "utf8")).version);
    assert.equal(id.preset, "myosuite");
    assert.equal(id.mapping, "myosuite");
    assert.equal(id.params.kappa, 1169.7); // the myosuite preset's, not the default's 100
    assert.equal(id.seed, 3);
    assert.equal(id.frameSkip, 5);
    assert.equal(id.rateHz, 100);
    assert.match(firstOut, new RegExp(`\\n {2}ran {12}tendon ${id.tendonVersion.replace(/\./g, "\\.")}, model sha256 ${id.modelSha256.slice(0, 12)}, seed 3, 100 Hz, frame skip 5\\n`));
    assert.match(firstOut, /\n {2}dep {12}preset myosuite, mapping myosuite\n/);
    assert.match(firstOut, /\n {2}dep params {5}kappa=1169\.7 tau=40 /);
  });

  it("keeps it in the recording: tendon info shows it, tendon info --params prints it, tendon report renders it", async () => {
    const info = await runCli(["info", rec]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /\n {2}dep params {5}kappa=1169\.7 /);
    const params = await runCli(["info", "--params", rec]);
    assert.equal(params.code, 0, params.stderr);
    assert.deepEqual(JSON.parse(params.stdout), first.identity);
    const html = path.join(tmp, "a.html");
    const report = await runCli(["report", rec, "-o", html]);
    assert.equal(report.code, 0, report.stderr);
    const page = fs.readFileSync(html, "utf8");
    assert.match(page, /<h2>What ran<\/h2>/);
    assert.match(page, /<th>DEP kappa<\/th><td>1169\.7<\/td>/);
    assert.match(page, new RegExp(first.identity.modelSha256));
  });

  it("tendon sim --params repeats the run from the file tendon info --params wrote, or from the metadata record's shape", async () => {
    const params = await runCli(["info", "--params", rec]);
    const file = path.join(tmp, "p.json");
    fs.writeFileSync(file, params.stdout);
    const again = await runCli(["sim", "--duration", "1", "--params", file, "--json", "--no-progress"]);
    assert.equal(again.code, 0, again.stderr);
    const j = lastJsonLine(again.stdout);
    assert.deepEqual(j.identity, first.identity);
    assert.equal(j.coverage, first.coverage);
    assert.deepEqual(j.loop.ticks ?? j.ticks, first.loop.ticks ?? first.ticks);

    const record = path.join(tmp, "record.json");
    fs.writeFileSync(record, JSON.stringify({ json: JSON.stringify(first.identity) }));
    const fromRecord = await runCli(["sim", "--duration", "1", "--params", record, "--seed", "4", "--json", "--no-progress"]);
    assert.equal(fromRecord.code, 0, fromRecord.stderr);
    const k = lastJsonLine(fromRecord.stdout);
    assert.equal(k.identity.seed, 4, "the command line wins over the file");
    assert.deepEqual(k.identity.params, first.identity.params);
    assert.equal(k.identity.frameSkip, 5);
  });

  it("a recording that does not say what ran is a usage error for tendon info --params (exit 2)", async () => {
    const bare = path.join(tmp, "bare.mcap");
    await recordSim(bare, { ticks: 20 });
    const r = await runCli(["info", "--params", bare]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /does not say what its run ran \(no tendon\.params metadata/);
  });

  it("tendon hw says it too: summary, JSON and the recording; tendon hw --params repeats a recorded hw run", async () => {
    const sim = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "board-sim", "--boards", "1"], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
    const stopped = new Promise((resolve) => sim.on("close", resolve));
    try {
      let out = "";
      sim.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
      sim.stderr!.resume();
      const port = await until("the board simulator's port", async () => /^port (\S+) boards/m.exec(out)?.[1]);
      const file = path.join(tmp, "hw.mcap");
      const r = await runCli(["hw", "--port", port, "--duration", "0.5", "--preset", "myosuite", "--record", file, "--json", "--host-watchdog-ms", "500", "--board-watchdog-ms", "500"]);
      assert.equal(r.code, 0, r.stderr);
      const id = lastJsonLine(r.stdout).identity;
      assert.equal(id.command, "hw");
      assert.equal(id.preset, "myosuite");
      assert.equal(id.mapping, "linear");
      assert.equal(id.params.kappa, 1169.7);
      assert.match(id.modelSha256, /^[0-9a-f]{64}$/);
      assert.match(r.stdout, /\n {2}dep params {5}kappa=1169\.7 /);
      const s = await summarizeRecording(file);
      assert.deepEqual(JSON.parse(s.metadata.get("tendon.params")!.json), id);

      // Repeated from the recording: the same preset, parameters, mapping, seed and rate.
      const params = await runCli(["info", "--params", file]);
      assert.equal(params.code, 0, params.stderr);
      const p = path.join(tmp, "hw-params.json");
      fs.writeFileSync(p, params.stdout);
      const again = await runCli(["hw", "--port", port, "--duration", "0.5", "--params", p, "--json", "--host-watchdog-ms", "500", "--board-watchdog-ms", "500"]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(lastJsonLine(again.stdout).identity, id);
      assert.doesNotMatch(again.stderr, /not the one the --params run ran/);
      // The command line wins over the file.
      const seeded = await runCli(["hw", "--port", port, "--duration", "0.3", "--params", p, "--seed", "7", "--json", "--host-watchdog-ms", "500", "--board-watchdog-ms", "500"]);
      assert.equal(seeded.code, 0, seeded.stderr);
      assert.equal(lastJsonLine(seeded.stdout).identity.seed, 7);
      assert.deepEqual(lastJsonLine(seeded.stdout).identity.params, id.params);

      // A sim run's file is not an hw run's, and the other way round: usage errors.
      const simParams = await runCli(["info", "--params", rec]);
      const sp = path.join(tmp, "sim-params.json");
      fs.writeFileSync(sp, simParams.stdout);
      const wrong = await runCli(["hw", "--port", port, "--duration", "0.3", "--params", sp]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /is what a 'tendon sim' run ran; tendon hw repeats 'tendon hw' runs/);
      const wrongSim = await runCli(["sim", "--duration", "0.3", "--params", p, "--no-progress"]);
      assert.equal(wrongSim.code, 2);
      assert.match(wrongSim.stderr, /is what a 'tendon hw' run ran; tendon sim repeats 'tendon sim' runs/);
    } finally {
      sim.kill("SIGINT");
      await stopped;
    }
  });
});
