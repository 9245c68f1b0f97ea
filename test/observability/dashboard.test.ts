import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { projectRoot } from "../helpers/paths.js";
import { tempDir, until } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(projectRoot, "test-artifacts");

describe("observability: the dashboard in headless Chromium", function () {
  this.timeout(90_000);
  let child: ChildProcess;
  let url: string;
  let browser: BrowserContext;
  let profile: string;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      // .ci/run installs Debian's chromium; without it there is no browser to drive.
      throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the dashboard test`);
    }
    child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "sim", "--serve", "0", "--rate", "100", "--no-progress"], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.resume();
    url = await until("the server's address", async () => /serving on (http:\/\/\S+)/.exec(out)?.[1]);
    profile = tempDir("chromium");
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  after(async () => {
    await browser?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      await fetch(`${url}/api/stop`, { method: "POST" }).catch(() => child.kill("SIGTERM"));
      await exited;
    }
  });

  const status = async (): Promise<Record<string, any>> => (await fetch(`${url}/api/status`)).json() as Promise<Record<string, any>>;

  it("loads, plots live data, latches the e-stop in the running pipeline and releases it with reset", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`${url}/dashboard/`);
    // Plots receive data: frames from the feed, samples on every plot, a DEP matrix drawn.
    const seen = await until("frames on the page", async () => {
      const s = await page.evaluate(() => {
        const d = (globalThis as any).tendonDashboard;
        return { frames: d.frames, samples: d.samples, matrix: d.matrixFrames, plots: Object.keys(d.plots), points: d.plots.activation?.data?.[0]?.length ?? 0 };
      });
      return s.frames >= 5 && s.matrix >= 1 && s.points > 0 ? s : undefined;
    });
    assert.deepEqual(seen.plots.sort(), ["activation", "angle", "force", "length", "timing"]);
    assert.ok(seen.samples > 0);
    // The page works offline: everything it loaded came from the pipeline's server.
    assert.ok(requests.every((r) => r.startsWith(url)), requests.filter((r) => !r.startsWith(url)).join(", "));
    // Owners of the muscle groups, from the API.
    await until("owners shown", async () => ((await page.locator("#owners tbody tr").count()) >= 3 ? true : undefined));
    assert.equal((await status()).estop.latched, false);

    await page.click("#estop");
    const latched = await until("e-stop latched", async () => {
      const s = await status();
      return s.estop.latched ? s : undefined;
    });
    assert.equal(latched.estop.by, "api");
    // The latch is immediate; the owners change on the next tick.
    await until("every group owned by the e-stop", async () =>
      Object.values((await status()).owners as Record<string, string>).every((o) => o === "estop") ? true : undefined,
    );
    await until("the page shows the e-stop", async () => ((await page.textContent("#estop-state"))?.includes("LATCHED") ? true : undefined));

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png"), fullPage: true });

    await page.click("#reset");
    await until("e-stop released", async () => ((await status()).estop.latched === false ? true : undefined));
    await until("the page shows the release", async () => ((await page.textContent("#estop-state"))?.includes("released") ? true : undefined));
    assert.deepEqual(errors, []);
    // A page left open would keep its own teleop connection and take the focus from the next one.
    await page.close();
  });

  it("drives a muscle group while the deadman is held, and hands it back on release", async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/dashboard/`);
    // The page drops the deadman when its window loses the focus: make sure it has it.
    await page.bringToFront();
    await until("sliders", async () => ((await page.locator("#sliders input").count()) >= 3 ? true : undefined));
    const group = await page.locator("#sliders input").first().getAttribute("data-group");
    await page.locator("#sliders input").first().fill("0.8");
    // hover() waits until the button is visible and no longer moving (the plots lay out as data comes).
    await page.locator("#deadman").hover();
    await page.mouse.down();
    await until("the deadman held", async () => ((await page.locator("#deadman.held").count()) > 0 ? true : undefined));
    await until("teleop owns the group", async () => ((await status()).owners[group!] === "teleop" ? true : undefined));
    await page.mouse.up();
    await until("the group handed back", async () => ((await status()).owners[group!] !== "teleop" ? true : undefined));
  });
});
