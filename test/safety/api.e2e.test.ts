import assert from "node:assert/strict";
import WebSocket from "ws";
import { ApiServer, ApiServerError } from "../../src/api/ApiServer.js";
import { ServeSession } from "../../src/api/ServeSession.js";
import { runSim, type SimRunResult } from "../../src/app/runSim.js";
import type { ArbiterEvent, OwnerEvent } from "../../src/safety/events.js";
import { waitFor } from "./waitFor.js";

interface Status {
  ready: boolean;
  owners: Record<string, string>;
  estop: { latched: boolean; requestedSec: number; appliedSec: number | null };
  lastCommand: { stampSec: number; source: string; values: Record<string, number> };
  loop: { ticks: number };
}

/** One tick as the loop wrote it. */
interface Written {
  t: number;
  values: number[];
}

describe("safety end to end: tendon sim --serve through the HTTP API and the WebSocket", function () {
  this.timeout(60_000);
  let session: ServeSession;
  let run: Promise<SimRunResult>;
  let url: string;
  const written: Written[] = [];
  const events: ArbiterEvent[] = [];
  const periodSec = 0.02; // the built-in arm's default: 50 Hz

  const status = async (): Promise<Status> => (await (await fetch(`${url}/api/status`)).json()) as Status;
  // Releasing the e-stop moves the arm again: it needs the run's token; e-stop and stop do not.
  const post = async (path: string): Promise<Record<string, any>> =>
    (await (await fetch(`${url}${path}`, { method: "POST", headers: path === "/api/reset" ? { authorization: `Bearer ${session.server.token}` } : {} })).json()) as Record<string, any>;

  before(async () => {
    session = await ServeSession.start({ port: 0, out: (l) => (url = l.replace("serving on ", "")), log: () => undefined });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    run = runSim({
      model: "arm2j6m",
      explorer: "dep",
      durationSec: Infinity,
      seed: 0,
      realtime: true,
      plugins: [session, { extend: () => (session.safety!.events$.subscribe((e) => events.push(e)), undefined) }],
      onLoop: (loop) => {
        loop.cycles$.subscribe((c) => written.push({ t: c.tick.startSec, values: Array.from(c.command.values) }));
      },
    });
    await waitFor(async () => {
      const s = await status();
      return s.ready && Object.values(s.owners).every((o) => o === "dep") && s.loop.ticks > 5;
    }, "DEP to own every group");
  });

  after(async () => {
    await post("/api/stop").catch(() => undefined);
    await run;
    await session.close();
  });

  it("teleop takes the elbow over the WebSocket while DEP keeps the rest; after its timeout DEP resumes within the rate limit", async () => {
    const ws = new WebSocket(`${url.replace("http", "ws")}/api/teleop?token=${session.server.token}`);
    const hello = await new Promise<Record<string, any>>((resolve, reject) => {
      ws.once("message", (d) => resolve(JSON.parse(String(d))));
      ws.once("error", reject);
    });
    assert.equal(hello.type, "hello");
    assert.deepEqual(hello.groups.elbow, ["elbow_flexor", "elbow_extensor"]);
    assert.equal(hello.heartbeatTimeoutSec, 0.5);

    ws.send(JSON.stringify({ type: "command", group: "elbow", values: [0.8, 0.05] }));
    const took = await waitFor(async () => {
      const s = await status();
      return s.owners.elbow === "teleop" && Math.abs(s.lastCommand.values.elbow_flexor - 0.8) < 1e-9 && s;
    }, "teleop to own the elbow and reach its command");
    assert.equal(took.owners.shoulder, "dep");
    assert.equal(took.owners.biarticular, "dep");

    // No more messages: the deadman expires and DEP takes the elbow back, ramping.
    const back = await waitFor(() => events.find((e): e is OwnerEvent => e.type === "owner" && e.group === "elbow" && e.from === "teleop"), "the elbow to be handed back");
    assert.equal(back.to, "dep");
    assert.equal(back.reason, "expired");
    const done = await waitFor(() => events.find((e) => e.type === "handover_complete" && e.group === "elbow" && e.stampSec >= back.stampSec), "the hand-over to finish");
    // 0.5 s for the whole range [0, 1]: at most 2 per second, 0.04 per 20 ms tick, from the last teleop command on.
    const maxStep = (1 / 0.5) * periodSec + 1e-9;
    const from = written.findIndex((w) => w.t === back.stampSec);
    const to = written.findIndex((w) => w.t === done.stampSec);
    assert.ok(from > 0 && to >= from, "the hand-over ticks were recorded");
    // Each elbow muscle ramps at the rate limit until it meets DEP's command (a step below the
    // limit), then follows DEP, whose own motion is not the arbiter's to limit.
    for (const i of [2, 3]) {
      for (let k = from; k <= to; k++) {
        const step = Math.abs(written[k].values[i] - written[k - 1].values[i]);
        assert.ok(step <= maxStep, `tick ${k}: elbow muscle ${i} moved ${step} (> ${maxStep}) while handing back`);
        if (step < maxStep - 1e-6) break;
      }
    }
    ws.close();
  });

  it("heartbeats keep teleop's group; closing the connection hands it back at once", async () => {
    const ws = new WebSocket(`${url.replace("http", "ws")}/api/teleop?token=${session.server.token}`);
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ type: "command", group: "shoulder", effort: 0.5 }));
    await waitFor(async () => (await status()).owners.shoulder === "teleop", "teleop to own the shoulder");
    const startTicks = (await status()).loop.ticks;
    // Heartbeats for twice the timeout (counted in ticks: 1 s at 50 Hz): still teleop's.
    await waitFor(async () => {
      ws.send(JSON.stringify({ type: "heartbeat" }));
      const s = await status();
      assert.equal(s.owners.shoulder, "teleop", "heartbeats keep the group");
      return s.loop.ticks - startTicks > 50;
    }, "a second of heartbeats");
    ws.close();
    const released = await waitFor(() => events.find((e): e is OwnerEvent => e.type === "owner" && e.group === "shoulder" && e.from === "teleop"), "the shoulder to be released");
    assert.equal(released.reason, "released");
  });

  it("POST /api/estop latches: every muscle gets the safe command within one tick, until POST /api/reset", async () => {
    const r = await post("/api/estop");
    assert.equal(r.latchedNow, true);
    const s = await waitFor(async () => {
      const st = await status();
      return st.estop.appliedSec !== null && Object.values(st.lastCommand.values).every((u) => u === 0) && st;
    }, "the safe command to be written");
    assert.deepEqual(new Set(Object.values(s.owners)), new Set(["estop"]));
    // Within one tick: the first tick that started after the request wrote the safe command (a
    // logical check on the loop's own clock, whatever the machine's load did to the wall clock).
    const first = written.find((w) => w.t >= s.estop.requestedSec);
    assert.ok(first, "the ticks after the request were recorded");
    assert.equal(first.t, s.estop.appliedSec);
    assert.deepEqual(first.values, [0, 0, 0, 0, 0, 0]);
    // Latched: teleop cannot move anything, and stays latched.
    const ws = new WebSocket(`${url.replace("http", "ws")}/api/teleop?token=${session.server.token}`);
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ type: "command", group: "elbow", values: [1, 0] }));
    const ticks = (await status()).loop.ticks;
    await waitFor(async () => (await status()).loop.ticks > ticks + 10, "ten more ticks");
    const still = await status();
    assert.equal(still.owners.elbow, "estop");
    assert.deepEqual(Object.values(still.lastCommand.values), [0, 0, 0, 0, 0, 0]);
    ws.close();

    const reset = await post("/api/reset");
    assert.equal(reset.released, true);
    await waitFor(async () => Object.values((await status()).owners).every((o) => o === "dep"), "DEP to own every group again");
  });

  it("answers unknown endpoints and wrong methods with 404 and 405, and refuses bad teleop messages with a reason", async () => {
    assert.equal((await fetch(`${url}/api/nothing`)).status, 404);
    assert.equal((await fetch(`${url}/api/estop`)).status, 405);
    const ws = new WebSocket(`${url.replace("http", "ws")}/api/teleop?token=${session.server.token}`);
    const messages: Record<string, any>[] = [];
    ws.on("message", (d) => messages.push(JSON.parse(String(d))));
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ type: "command", group: "knee", values: [1] }));
    ws.send("{not json");
    const errors = await waitFor(() => messages.filter((m) => m.type === "error").length >= 2 && messages.filter((m) => m.type === "error"), "two error replies");
    assert.match(errors[0].message, /muscle group/);
    assert.match(errors[1].message, /not JSON/);
    ws.close();
  });
});

describe("ApiServer: binding and tokens", () => {
  it("refuses a non-loopback address without a token", async () => {
    await assert.rejects(ApiServer.start({ host: "0.0.0.0", port: 0 }), (err: unknown) => err instanceof ApiServerError && /refusing to serve on 0\.0\.0\.0 without a token/.test(err.message));
  });

  it("with a token, requires it on every endpoint and on the WebSocket", async () => {
    const api = await ApiServer.start({ host: "0.0.0.0", port: 0, token: "s3cret" });
    try {
      const base = `http://127.0.0.1:${api.port}`;
      assert.equal((await fetch(`${base}/api/status`)).status, 401);
      assert.equal((await fetch(`${base}/api/status`, { headers: { authorization: "Bearer wrong!" } })).status, 401);
      const ok = await fetch(`${base}/api/status`, { headers: { authorization: "Bearer s3cret" } });
      assert.equal(ok.status, 503, "not attached to a pipeline yet");
      assert.deepEqual(await ok.json(), { ready: false });
      const refused = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${api.port}/api/teleop`);
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("error", () => undefined);
      });
      assert.equal(refused, 401);
      const ws = new WebSocket(`ws://127.0.0.1:${api.port}/api/teleop?token=s3cret`);
      const hello = await new Promise<Record<string, any>>((resolve) => ws.once("message", (d) => resolve(JSON.parse(String(d)))));
      assert.equal(hello.type, "hello");
      assert.equal(hello.ready, false);
      ws.close();
    } finally {
      await api.close();
    }
  });
});
