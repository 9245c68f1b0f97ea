import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import WebSocket from "ws";
import { ApiServer, ApiServerError } from "../../src/api/ApiServer.js";
import { readRunToken } from "../../src/api/runToken.js";
import { SafetyLayer } from "../../src/safety/SafetyLayer.js";
import { pairSpec } from "./helpers.js";

/** One raw request, headers as given (fetch would set Origin and Host itself). */
function request(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The HTTP status of a WebSocket handshake: 101 when it opened. */
function handshake(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    ws.on("open", () => {
      ws.close();
      resolve({ status: 101, body: "" });
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("error", () => undefined);
  });
}

describe("ApiServer: no page from elsewhere commands the arm (Origin, Host, per-run token, session cookie)", () => {
  let api: ApiServer;
  let layer: SafetyLayer;
  let host: string;
  let t = 0;
  const out = new Float64Array(4);
  /** One control tick of the arbiter (an e-stop reaches the muscles on a tick; a reset after it). */
  const tick = (): void => {
    t += 0.01;
    layer.arbiter.feedController([0.2, 0.2, 0.2, 0.2]);
    layer.arbiter.update(t, 0.01, out, layer.limiter.lastCommand);
  };

  beforeEach(async () => {
    layer = new SafetyLayer({ spec: pairSpec(), controllerName: "dep" });
    api = await ApiServer.start({ port: 0, allowedOrigins: ["http://lab-pc:8080"] });
    api.attach({ safety: layer });
    host = `127.0.0.1:${api.port}`;
  });

  afterEach(async () => {
    await api.close();
    layer.dispose();
  });

  it("refuses a state change from another origin, and one under a Host that is not this server (DNS rebinding)", async () => {
    const evil = await request(api.port, "POST", "/api/estop", { host, origin: "http://127.0.0.1:9" });
    assert.equal(evil.status, 403);
    assert.match(JSON.parse(evil.body).error, /a page from http:\/\/127\.0\.0\.1:9 may not command this arm/);
    assert.equal(layer.arbiter.estopState.latched, false, "the refused e-stop did nothing");
    const nullOrigin = await request(api.port, "POST", "/api/estop", { host, origin: "null" });
    assert.equal(nullOrigin.status, 403, "a sandboxed page's 'null' origin is refused");
    const rebound = await request(api.port, "GET", "/api/status", { host: `rebind.example:${api.port}` });
    assert.equal(rebound.status, 403);
    assert.match(JSON.parse(rebound.body).error, /Host 'rebind\.example:\d+' is not this server/);
    assert.equal((await request(api.port, "POST", "/api/estop", { host: `rebind.example:${api.port}`, origin: `http://rebind.example:${api.port}` })).status, 403);
    assert.equal(layer.arbiter.estopState.latched, false);
  });

  it("takes its own origin, every loopback name, a configured origin, and programs that send no Origin", async () => {
    for (const h of [host, `localhost:${api.port}`, `[::1]:${api.port}`]) {
      assert.equal((await request(api.port, "POST", "/api/estop", { host: h, origin: `http://${h}` })).status, 200, h);
    }
    assert.equal((await request(api.port, "POST", "/api/estop", { host, origin: "http://lab-pc:8080" })).status, 200);
    assert.equal((await request(api.port, "POST", "/api/estop", { host })).status, 200);
    assert.equal(layer.arbiter.estopState.latched, true);
  });

  it("releasing the e-stop needs the run's token or the session cookie; e-stop and status do not", async () => {
    assert.equal((await request(api.port, "POST", "/api/estop", { host })).status, 200);
    tick();
    const bare = await request(api.port, "POST", "/api/reset", { host });
    assert.equal(bare.status, 401);
    assert.match(JSON.parse(bare.body).error, /needs the run's token/);
    assert.equal(layer.arbiter.estopState.latched, true, "still latched");
    assert.equal((await request(api.port, "POST", "/api/reset", { host, authorization: "Bearer wrong" })).status, 401);
    assert.equal((await request(api.port, "POST", "/api/reset", { host, authorization: `Bearer ${api.token}` })).status, 200);
    tick();
    assert.equal(layer.arbiter.estopState.latched, false);
    assert.equal((await request(api.port, "GET", "/api/status", { host })).status, 200, "status stays open");
  });

  it("sets the session cookie only on a page navigated to directly, and the cookie then releases the e-stop", async () => {
    // Any path outside /api/ that a browser navigates to (the dashboard's page when it is mounted).
    const nav = { host, "sec-fetch-dest": "document", "sec-fetch-site": "none" };
    const page = await request(api.port, "GET", "/dashboard/", nav);
    const cookie = String(page.headers["set-cookie"] ?? "");
    assert.match(cookie, new RegExp(`^tendon_session_${api.port}=[^;]+; Path=/; HttpOnly; SameSite=Strict$`));
    // A page of another site loading it (an iframe, a fetch) gets none.
    assert.equal((await request(api.port, "GET", "/dashboard/", { ...nav, "sec-fetch-site": "cross-site" })).headers["set-cookie"], undefined);
    assert.equal((await request(api.port, "GET", "/dashboard/", { host, "sec-fetch-dest": "empty", "sec-fetch-site": "same-site" })).headers["set-cookie"], undefined);
    layer.arbiter.estop("test", "latched for the test");
    tick();
    const session = cookie.split(";")[0];
    assert.equal((await request(api.port, "POST", "/api/reset", { host, cookie: "tendon_session_1=forged" })).status, 401);
    assert.equal((await request(api.port, "POST", "/api/reset", { host, cookie: session, origin: `http://${host}` })).status, 200);
    tick();
    assert.equal(layer.arbiter.estopState.latched, false);
    // The cookie is no pass for another origin: the Origin check comes first.
    layer.arbiter.estop("test", "latched again");
    tick();
    assert.equal((await request(api.port, "POST", "/api/reset", { host, cookie: session, origin: "http://127.0.0.1:9" })).status, 403);
    tick();
    assert.equal(layer.arbiter.estopState.latched, true);
  });

  it("opens the teleop WebSocket only with the token, and never for another origin", async () => {
    const url = `ws://127.0.0.1:${api.port}/api/teleop`;
    const none = await handshake(url);
    assert.equal(none.status, 401);
    assert.match(none.body, /needs the run's token/);
    assert.equal((await handshake(`${url}?token=${api.token}`, { origin: "http://evil.example" })).status, 403);
    assert.equal((await handshake(`${url}?token=${api.token}`, { headers: { host: `rebind.example:${api.port}` } })).status, 403);
    assert.equal((await handshake(`${url}?token=${api.token}`, { origin: `http://127.0.0.1:${api.port}` })).status, 101);
    assert.equal((await handshake(url, { headers: { authorization: `Bearer ${api.token}` } })).status, 101);
  });

  it("writes the per-run token to a file only this user can read, for tendon teleop, and removes it on close", async () => {
    const file = api.tokenFile;
    assert.ok(file, "a token file was written");
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(readRunToken(api.port), api.token);
    assert.match(api.describeAccess(), new RegExp(`reset and teleop need this run's token ${api.token}`));
    const port = api.port;
    await api.close();
    assert.equal(fs.existsSync(file), false);
    assert.equal(readRunToken(port), undefined);
  });

  it("refuses out-of-range teleop commands with a reason and counts them; nothing is quietly clamped", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/api/teleop?token=${api.token}`);
    const messages: Record<string, any>[] = [];
    ws.on("message", (d) => messages.push(JSON.parse(String(d))));
    await new Promise((resolve) => ws.once("open", resolve));
    const reply = async (m: unknown): Promise<Record<string, any> | undefined> => {
      const before = messages.length;
      ws.send(JSON.stringify(m));
      // A heartbeat after it: its (silent) handling shows the message before it was handled.
      ws.send(JSON.stringify({ type: "heartbeat" }));
      await new Promise((r) => setTimeout(r, 100));
      return messages.slice(before).find((x) => x.type === "error");
    };
    assert.match((await reply({ type: "command", group: "a", effort: 7 }))?.message ?? "", /effort must be a number in \[-1, 1\], got 7; nothing was applied/);
    assert.match((await reply({ type: "command", group: "a", values: [1e9, -5] }))?.message ?? "", /a_flexor: 1000000000 is outside its command range \[0, 1\]; nothing was applied/);
    assert.match((await reply({ type: "command", muscles: { b_extensor: -0.1 } }))?.message ?? "", /b_extensor: -0.1 is outside its command range/);
    assert.match((await reply({ type: "command", group: "a", values: [0.5] }))?.message ?? "", /group 'a' has 2 muscles/);
    assert.match((await reply({ type: "command", group: "a", values: ["x", 0] }))?.message ?? "", /a_flexor: "x" is outside/);
    tick();
    assert.equal(layer.arbiter.status().owners.a, "dep", "nothing refused reached the arbiter");
    assert.equal(await reply({ type: "command", group: "a", values: [1, 0] }), undefined, "a command in range is taken");
    tick();
    assert.equal(layer.arbiter.status().owners.a, "teleop");
    assert.equal(await reply({ type: "command", group: "b", effort: -1 }), undefined);
    const status = JSON.parse((await request(api.port, "GET", "/api/status", { host })).body);
    assert.equal(status.teleopRefused, 5);
    ws.close();
  });

  it("refuses an allowed origin that is not a URL", async () => {
    await assert.rejects(ApiServer.start({ port: 0, allowedOrigins: ["lab-pc"] }), (err: unknown) => err instanceof ApiServerError && /an allowed origin is a URL like/.test(err.message));
  });
});
