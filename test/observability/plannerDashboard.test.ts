import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { projectRoot } from "../helpers/paths.js";
import { tempDir, until } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(projectRoot, "test-artifacts");

describe("observability: the dashboard of tendon plan --serve in headless Chromium", function () {
  this.timeout(120_000);
  let child: ChildProcess;
  let url: string;
  let browser: BrowserContext;
  let profile: string;
  let exit: Promise<number | null>;
  let stdout = "";

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the dashboard test`);
    // Small plans (8 trajectories x 5 steps, one iteration, a coarse MuJoCo copy) in the worker, many episodes: the run lasts until stopped.
    child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "plan", "--task", "reach", "--serve", "0", "--episodes", "100", "--population", "8", "--horizon", "5", "--iterations", "1", "--model-timestep", "0.01", "--json", "--no-progress"],
      { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.resume();
    exit = new Promise((r) => child.once("exit", (code) => r(code)));
    url = await until("the server's address", async () => /serving on (http:\/\/\S+)/.exec(stdout)?.[1]);
    profile = tempDir("chromium-plan");
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1400 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  after(async () => {
    await browser?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    if (child && child.exitCode === null) {
      await fetch(`${url}/api/stop`, { method: "POST" }).catch(() => child.kill("SIGTERM"));
      await exit;
    }
  });

  it("shows the plan cost, disagreement and planned trajectory as plans come, beside the loop's plots", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${url}/dashboard/`);
    const seen = await until(
      "plans on the page",
      async () => {
        const s = await page.evaluate(() => {
          const d = (globalThis as any).tendonDashboard;
          return { plans: d.plans, trajectories: d.trajectoryFrames, plots: Object.keys(d.plots), costPoints: d.plots["plan-cost"]?.data?.[0]?.length ?? 0, costs: d.plots["plan-cost"]?.data?.[1] ?? [] };
        });
        return s.plans >= 3 && s.trajectories >= 1 && s.costPoints >= 3 ? s : undefined;
      },
      900,
    );
    assert.ok(seen.plots.includes("plan-cost") && seen.plots.includes("plan-disagreement"), seen.plots.join(", "));
    // The loop's own plots are there too; nothing learns here, so no vector-topic plots.
    for (const key of ["activation", "angle", "timing"]) assert.ok(seen.plots.includes(key), key);
    assert.ok(!seen.plots.some((k: string) => k.startsWith("series")), seen.plots.join(", "));
    // Reach costs on MuJoCo: finite and > 0 (a sum of distances).
    assert.ok(seen.costs.every((c: number) => Number.isFinite(c) && c > 0), JSON.stringify(seen.costs));
    assert.equal(await page.isVisible("#planner"), true);
    assert.match((await page.textContent("#trajectory-caption")) ?? "", /fingertip\.x \(x\) against fingertip\.y \(y\), 5 steps/);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-plan.png"), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
    // POST /api/stop ends the run after the current tick: exit 0, with the JSON summary.
    await fetch(`${url}/api/stop`, { method: "POST" });
    assert.equal(await exit, 0);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.ok(summary.episodes.length >= 1 && summary.episodes.length < 100, `${summary.episodes.length} episodes`);
    assert.equal(summary.backend, "worker");
  });
});

describe("observability: the dashboard of tendon play --serve in headless Chromium", function () {
  this.timeout(120_000);
  let child: ChildProcess;
  let url: string;
  let browser: BrowserContext;
  let profile: string;
  let out: string;
  let exit: Promise<number | null>;
  let stdout = "";

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the dashboard test`);
    out = tempDir("play-serve");
    // Rounds of 5 steps (0.5 s each in real time), small plans in the worker: a model update every round.
    child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "play", "--out", out, "--serve", "0", "--steps", "400", "--round", "5", "--train-steps", "5", "--population", "8", "--horizon", "4", "--iterations", "1", "--json", "--no-progress"],
      { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.resume();
    exit = new Promise((r) => child.once("exit", (code) => r(code)));
    url = await until("the server's address", async () => /serving on (http:\/\/\S+)/.exec(stdout)?.[1]);
    profile = tempDir("chromium-play");
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1600 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  after(async () => {
    await browser?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    if (child && child.exitCode === null) {
      await fetch(`${url}/api/stop`, { method: "POST" }).catch(() => child.kill("SIGTERM"));
      await exit;
    }
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it("plots the plan's disagreement and, after each round, the model loss on one time line", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${url}/dashboard/`);
    const seen = await until(
      "model losses on the page",
      async () => {
        const s = await page.evaluate(() => {
          const d = (globalThis as any).tendonDashboard;
          const loss = d.plots["series-learner-model-loss"];
          return { plans: d.plans, losses: d.series["/learner/model_loss"] ?? 0, t: loss?.data?.[0] ?? [], train: loss?.data?.[1] ?? [], disagreement: d.plots["plan-disagreement"]?.data?.[1] ?? [] };
        });
        return s.losses >= 2 && s.plans >= 5 ? s : undefined;
      },
      900,
    );
    // One point per round, later rounds later on the run's time line; train losses finite and > 0.
    for (let k = 1; k < seen.t.length; k++) assert.ok(seen.t[k] > seen.t[k - 1], JSON.stringify(seen.t));
    assert.ok(seen.train.every((x: number) => Number.isFinite(x) && x > 0), JSON.stringify(seen.train));
    // Curious play maximises disagreement: the plans' disagreement is > 0.
    assert.ok(seen.disagreement.some((x: number) => x > 0), JSON.stringify(seen.disagreement));
    assert.match((await page.textContent("#series")) ?? "", /\/learner\/model_loss \(train, held_out, version\)/);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-play.png"), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
    await fetch(`${url}/api/stop`, { method: "POST" });
    assert.equal(await exit, 0);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.stopped, true);
    assert.ok(summary.steps >= 10 && summary.steps < 400, `${summary.steps} steps`);
    assert.ok(fs.existsSync(path.join(out, "model.json")));
  });
});
