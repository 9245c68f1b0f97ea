import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ApiServer } from "../../src/api/ApiServer.js";
import { DashboardRoutes } from "../../src/observability/dashboard/DashboardRoutes.js";
import { projectRoot } from "../helpers/paths.js";
import { tempDir, until } from "../observability/helpers.js";

const CHROMIUM = "/usr/bin/chromium";

/**
 * A page of another origin (another port on the same machine, so the same site: the browser sends
 * it the dashboard's session cookie) that tries what a hostile page open in the lab's browser would.
 */
function attackerPage(target: string): string {
  const ws = target.replace("http", "ws");
  return `<!doctype html><html><body><iframe name="sink"></iframe><script>
  const T = ${JSON.stringify(target)};
  window.post = (path) => fetch(T + path, { method: "POST", mode: "no-cors", credentials: "include" }).then(() => "sent", (e) => "failed: " + e);
  window.form = (path) => new Promise((resolve) => {
    const f = document.createElement("form");
    f.method = "POST"; f.action = T + path; f.target = "sink";
    document.body.appendChild(f);
    document.querySelector("iframe").onload = () => resolve("submitted");
    f.submit();
  });
  window.teleop = () => new Promise((resolve) => {
    const s = new WebSocket(${JSON.stringify(`${ws}/api/teleop`)});
    s.onopen = () => {
      s.send(JSON.stringify({ type: "reset" }));
      s.send(JSON.stringify({ type: "command", group: "elbow", values: [1, 0] }));
      setTimeout(() => resolve("open"), 300);
    };
    s.onerror = () => resolve("refused");
  });
  </script></body></html>`;
}

describe("safety in headless Chromium: a page from another origin cannot drive the arm; the dashboard can, and says when it cannot", function () {
  this.timeout(120_000);
  let child: ChildProcess;
  let url: string;
  let port: number;
  let token: string;
  let browser: BrowserContext;
  let profile: string;
  let evil: http.Server;
  let evilUrl: string;
  let tokenServer: ApiServer;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the browser tests`);
    child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "src", "cli", "run.ts"), "sim", "--serve", "0", "--rate", "50", "--no-progress"], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    url = await until("the server's address", async () => /serving on (http:\/\/\S+)/.exec(out)?.[1]);
    port = Number(new URL(url).port);
    token = await until("the run's token on stderr", async () => /need this run's token (\S+)/.exec(err)?.[1]);
    await until("the run to start", async () => ((await fetch(`${url}/api/status`)).ok ? true : undefined));

    evil = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(attackerPage(url)));
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", () => r()));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;

    // A server with a configured token and the dashboard, no run: what a page without the token sees.
    tokenServer = await ApiServer.start({ port: 0, token: "s3cret" });
    new DashboardRoutes().mountOn(tokenServer);

    profile = tempDir("chromium-xo");
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      // rebind.test resolves to this machine: a DNS-rebinding page's requests reach the server under that name.
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP rebind.test 127.0.0.1"],
    });
  });

  after(async () => {
    await browser?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    evil?.close();
    await tokenServer?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      await fetch(`${url}/api/stop`, { method: "POST" }).catch(() => child.kill("SIGTERM"));
      await exited;
    }
  });

  const status = async (): Promise<Record<string, any>> => (await fetch(`${url}/api/status`)).json() as Promise<Record<string, any>>;
  const ticksLater = async (n: number): Promise<void> => {
    const t0 = (await status()).loop.ticks as number;
    await until(`${n} more ticks`, async () => (((await status()).loop.ticks as number) >= t0 + n ? true : undefined));
  };
  const dashboard = (page: Page) => page.evaluate(() => (globalThis as any).tendonDashboard as Record<string, any>);

  it("another origin's page cannot reset a latched e-stop, latch one, or take a group, even with the dashboard's cookie in the browser", async () => {
    // The dashboard was opened in this browser: its session cookie is there, and same-site pages carry it.
    const page = await browser.newPage();
    await page.goto(`${url}/dashboard/`);
    const cookies = await browser.cookies(url);
    assert.ok(cookies.some((c) => c.name === `tendon_session_${port}`), "the dashboard's session cookie");
    await page.close();

    assert.equal((await fetch(`${url}/api/estop?reason=test`, { method: "POST" })).status, 200);
    await until("owners: e-stop", async () => (Object.values((await status()).owners).every((o) => o === "estop") ? true : undefined));
    const attacker = await browser.newPage();
    await attacker.goto(evilUrl);
    assert.equal(await attacker.evaluate(() => (globalThis as any).post("/api/reset")), "sent");
    assert.equal(await attacker.evaluate(() => (globalThis as any).form("/api/reset")), "submitted");
    assert.equal(await attacker.evaluate(() => (globalThis as any).teleop()), "refused");
    await ticksLater(5);
    let s = await status();
    assert.equal(s.estop.latched, true, "the e-stop stays latched");
    assert.ok(Object.values(s.owners).every((o) => o === "estop"));

    const reset = await fetch(`${url}/api/reset`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    assert.equal(reset.status, 200);
    await until("DEP owns every group", async () => (Object.values((await status()).owners).every((o) => o === "dep") ? true : undefined));
    assert.equal(await attacker.evaluate(() => (globalThis as any).post("/api/estop")), "sent");
    assert.equal(await attacker.evaluate(() => (globalThis as any).teleop()), "refused");
    await ticksLater(5);
    s = await status();
    assert.equal(s.estop.latched, false, "no e-stop from the other origin either");
    assert.equal(s.owners.elbow, "dep", "teleop did not take the elbow");
    await attacker.close();
  });

  it("a page served under another name that resolves to this machine (DNS rebinding) is refused", async () => {
    const page = await browser.newPage();
    const res = await page.goto(`http://rebind.test:${port}/dashboard/`);
    assert.equal(res?.status(), 403);
    // Same-origin for the browser, so it may read the answers: the server refuses them.
    const answers = await page.evaluate(async () => {
      const reset = await fetch("/api/reset", { method: "POST" });
      const st = await fetch("/api/status");
      return [reset.status, st.status];
    });
    assert.deepEqual(answers, [403, 403]);
    await page.close();
  });

  it("the dashboard itself latches and releases the e-stop and drives a group, on 127.0.0.1 and on localhost", async () => {
    for (const base of [url, `http://localhost:${port}`]) {
      const page = await browser.newPage();
      await page.goto(`${base}/dashboard/`);
      await page.bringToFront();
      await until("the page connected", async () => ((await dashboard(page)).api === "ok" ? true : undefined));
      assert.equal(await page.isEnabled("#estop"), true);
      await page.click("#estop");
      await until("latched", async () => ((await status()).estop.latched ? true : undefined));
      await ticksLater(2);
      await page.click("#reset");
      await until("released", async () => ((await status()).estop.latched === false ? true : undefined));
      await until("DEP owns every group", async () => (Object.values((await status()).owners).every((o) => o === "dep") ? true : undefined));
      await until("sliders", async () => ((await page.locator("#sliders input").count()) >= 3 ? true : undefined));
      await until("the deadman enabled", async () => ((await page.isEnabled("#deadman")) ? true : undefined));
      const group = await page.locator("#sliders input").first().getAttribute("data-group");
      await page.locator("#sliders input").first().fill("0.8");
      await page.locator("#deadman").hover();
      await page.mouse.down();
      await until(`teleop owns ${group}`, async () => ((await status()).owners[group!] === "teleop" ? true : undefined));
      await page.mouse.up();
      await until(`${group} handed back`, async () => ((await status()).owners[group!] !== "teleop" ? true : undefined));
      await page.close();
    }
  });

  it("without the token on a token server the page says it is not connected and why, and its controls are disabled", async () => {
    const page = await browser.newPage();
    await page.goto(`${tokenServer.url}/dashboard/`);
    await until("the reason", async () => ((await page.textContent("#banner"))?.includes("needs its token") ? true : undefined));
    assert.equal(await page.isVisible("#banner"), true);
    assert.match((await page.textContent("#banner")) ?? "", /E-STOP and Reset on this page cannot act/);
    assert.match((await page.textContent("#run")) ?? "", /^not connected: this server needs its token/);
    assert.equal(await page.isDisabled("#estop"), true);
    assert.equal(await page.isDisabled("#reset"), true);
    assert.equal(await page.isDisabled("#deadman"), true);
    assert.equal((await dashboard(page)).api, "unauthorized");
    await until("the teleop line says why", async () => ((await page.textContent("#teleop-state"))?.includes("needs its token") ? true : undefined));

    await page.goto(`${tokenServer.url}/dashboard/?token=wrong`);
    await until("the wrong token named", async () => ((await page.textContent("#banner"))?.includes("refused the token") ? true : undefined));
    assert.equal(await page.isDisabled("#estop"), true);

    await page.goto(`${tokenServer.url}/dashboard/?token=s3cret`);
    await until("not ready", async () => ((await dashboard(page)).api === "not-ready" ? true : undefined));
    assert.equal(await page.isVisible("#banner"), false);
    await page.close();
  });

  it("marks the e-stop state stale and disables the controls when the run's server goes away", async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/dashboard/`);
    await until("connected", async () => ((await dashboard(page)).api === "ok" ? true : undefined));
    assert.match((await page.textContent("#estop-state")) ?? "", /released/);
    const exited = new Promise((r) => child.once("exit", r));
    await fetch(`${url}/api/stop`, { method: "POST" });
    await exited;
    await until("stale", async () => ((await page.textContent("#estop-state"))?.includes("stale") ? true : undefined));
    assert.match((await page.textContent("#estop-state")) ?? "", /e-stop: released\? stale, last read \d+\.\d s ago/);
    assert.equal(await page.getAttribute("#estop-state", "class"), "pill stale");
    assert.equal(await page.isDisabled("#estop"), true);
    assert.match((await page.textContent("#banner")) ?? "", /does not answer/);
    await page.close();
  });
});
