/**
 * Safety and teleop latency on the built-in arm, simulated in real time at 500 Hz behind the
 * HTTP/WebSocket API (`tendon sim --serve`), with the client in a worker thread (its own event
 * loop, as a separate program would have):
 * - teleop WebSocket message sent -> that command written to the muscles (target: one control
 *   period + 0.5 ms, p99);
 * - e-stop requested (POST /api/estop, and over the WebSocket) -> safe command written (target:
 *   one control period); also the arbiter's own figure (request stamped -> first safe tick).
 *   The HTTP e-stop is sent by two clients side by side, `fetch` (undici) and `node:http` with a
 *   keep-alive agent, and split where the time goes: client call -> request at the server (the
 *   client's HTTP stack, the kernel, the server's event loop getting to it; stamped by the
 *   `http.server.request.start` diagnostics channel) and request at the server -> safe command
 *   written (parse, route, arbiter latch, the immediate write).
 * Times on both sides are `performance.timeOrigin + performance.now()`, comparable across threads.
 *
 * Alone: `node --import tsx bench/safety.ts [--quick]`.
 */
import diagnostics from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ServeSession } from "../src/api/ServeSession.js";
import { runSim } from "../src/app/runSim.js";
import { defaultSafetyConfig } from "../src/safety/config.js";

const RATE_HZ = 500;

/** The client: a CommonJS worker (eval), so it needs no TypeScript loader. */
const CLIENT = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const WebSocket = require(workerData.wsPath);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const request = (url, method) => new Promise((resolve, reject) => {
  const req = http.request(url, { method, agent }, (res) => { res.resume(); res.on("end", resolve); });
  req.on("error", reject);
  req.end();
});
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let ws;
parentPort.on("message", async (m) => {
  if (m.cmd === "connect") {
    // Warm the client's HTTP stack first (fetch loads its implementation on first use, some
    // 20 ms): the figures are for the server's path to the muscles, not the client's start-up.
    await (await fetch(m.url + "/api/status")).arrayBuffer();
    await request(m.url + "/api/status", "GET");
    ws = new WebSocket(m.url.replace("http", "ws") + "/api/teleop?token=" + m.token);
    ws.once("message", () => parentPort.postMessage({ kind: "connected" }));
  } else if (m.cmd === "teleop") {
    for (let k = 0; k < m.n; k++) {
      const value = m.values[k];
      const at = now();
      ws.send(JSON.stringify({ type: "command", group: "elbow", values: [value, 0] }));
      parentPort.postMessage({ kind: "sent", value, at });
      // Not on the tick grid: 3 to 7 ms apart.
      await sleep(3 + ((k * 7919) % 5));
    }
    parentPort.postMessage({ kind: "done" });
  } else if (m.cmd === "estop-http") {
    const at = now();
    await fetch(m.url + "/api/estop", { method: "POST" });
    parentPort.postMessage({ kind: "estop-sent", at });
  } else if (m.cmd === "estop-node-http") {
    const at = now();
    await request(m.url + "/api/estop", "POST");
    parentPort.postMessage({ kind: "estop-sent", at });
  } else if (m.cmd === "estop-ws") {
    const at = now();
    ws.send(JSON.stringify({ type: "estop", reason: "bench" }));
    parentPort.postMessage({ kind: "estop-sent", at });
  } else if (m.cmd === "close") {
    ws.close();
    parentPort.postMessage({ kind: "closed" });
  }
});
`;

interface Quantiles {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function quantiles(xs: number[]): Quantiles {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => (s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : Number.NaN);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { n: s.length, p50Ms: r(q(0.5)), p99Ms: r(q(0.99)), maxMs: r(s.length ? s[s.length - 1] : Number.NaN) };
}

export async function benchSafety(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  const quick = opts.quick ?? false;
  const teleopMessages = quick ? 300 : 2000;
  const estops = quick ? 10 : 100;
  const periodMs = 1000 / RATE_HZ;
  const epoch = (ms: number): number => performance.timeOrigin + ms;

  const session = await ServeSession.start({ port: 0, out: () => undefined, log: () => undefined, safety: { ...defaultSafetyConfig("dep"), transitionSec: 0 } });
  // Written commands: the elbow flexor's value -> when its write ended; e-stop writes.
  const writtenAt = new Map<number, number>();
  const safeWrites: number[] = [];
  let lastSource = "";
  let ticks = 0;
  // When each e-stop request reached the server's request handler (its headers parsed).
  const estopArrivals: number[] = [];
  const onRequest = (message: unknown): void => {
    const req = (message as { request: IncomingMessage }).request;
    if (req.method === "POST" && req.url?.startsWith("/api/estop")) estopArrivals.push(epoch(performance.now()));
  };
  diagnostics.subscribe("http.server.request.start", onRequest);
  const run = runSim({
    model: "arm2j6m",
    explorer: "dep",
    durationSec: Infinity,
    seed: 0,
    rateHz: RATE_HZ,
    realtime: true,
    plugins: [session],
    onLoop: (loop) => {
      // An e-stop writes the safe command at once, between ticks; the ticks after it stay safe.
      loop.events$.subscribe((e) => {
        if (e.type === "safe_write") safeWrites.push(epoch(performance.now()));
      });
      loop.cycles$.subscribe((c) => {
        ticks++;
        const v = c.command.values[2];
        if (c.source !== "safe" && !writtenAt.has(v)) writtenAt.set(v, epoch(c.workEndMs));
        if (c.source === "safe" && lastSource !== "safe") safeWrites.push(epoch(c.workEndMs));
        lastSource = c.source;
      });
    },
  });

  const worker = new Worker(CLIENT, { eval: true, workerData: { wsPath: createRequire(import.meta.url).resolve("ws") } });
  const next = (kind: string): Promise<Record<string, any>> =>
    new Promise((resolve) => {
      const on = (m: Record<string, any>): void => {
        if (m.kind !== kind) return;
        worker.off("message", on);
        resolve(m);
      };
      worker.on("message", on);
    });
  const waitUntil = async (cond: () => boolean, what: string): Promise<void> => {
    const until = Date.now() + 10_000;
    while (!cond()) {
      if (Date.now() > until) throw new Error(`bench safety: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  try {
    await waitUntil(() => ticks > RATE_HZ / 2, "the loop to run");
    worker.postMessage({ cmd: "connect", url: session.server.url, token: session.server.token });
    await next("connected");

    // Teleop latency: distinct values, so each write names its message.
    const values = Array.from({ length: teleopMessages }, (_, k) => 0.1 + (0.8 * k) / teleopMessages);
    const sent = new Map<number, number>();
    const onSent = (m: Record<string, any>): void => {
      if (m.kind === "sent") sent.set(m.value, m.at);
    };
    worker.on("message", onSent);
    worker.postMessage({ cmd: "teleop", n: teleopMessages, values });
    await next("done");
    await new Promise((r) => setTimeout(r, 20));
    worker.off("message", onSent);
    const teleopLatency: number[] = [];
    let unmatched = 0;
    // The first messages take the group over; skip them.
    for (const [value, at] of [...sent.entries()].slice(5)) {
      const w = writtenAt.get(value);
      if (w === undefined) unmatched++;
      else teleopLatency.push(w - at);
    }

    // E-stop latency, over HTTP and over the WebSocket.
    const arbiter = session.safety!.arbiter;
    interface Stop {
      wallMs: number;
      arbiterMs: number;
      /** HTTP only: client call -> request at the server, and request at the server -> safe command written. */
      toServerMs: number;
      inServerMs: number;
    }
    const estop = async (cmd: "estop-http" | "estop-node-http" | "estop-ws"): Promise<Stop> => {
      const before = safeWrites.length;
      const arrivalsBefore = estopArrivals.length;
      worker.postMessage({ cmd, url: session.server.url });
      const { at } = await next("estop-sent");
      await waitUntil(() => safeWrites.length > before && !Number.isNaN(arbiter.estopState.appliedSec), "the safe command");
      const s = arbiter.estopState;
      const arrived = estopArrivals.length > arrivalsBefore ? estopArrivals[arrivalsBefore] : Number.NaN;
      const result = {
        wallMs: safeWrites[before] - at,
        arbiterMs: (s.appliedSec - s.requestedSec) * 1000,
        toServerMs: arrived - at,
        inServerMs: safeWrites[before] - arrived,
      };
      arbiter.reset("bench");
      await waitUntil(() => lastSource !== "safe", "DEP to resume");
      return result;
    };
    const http: Stop[] = [];
    const nodeHttp: Stop[] = [];
    const wsStops: Stop[] = [];
    for (let k = 0; k < estops; k++) {
      http.push(await estop("estop-http"));
      nodeHttp.push(await estop("estop-node-http"));
      wsStops.push(await estop("estop-ws"));
      await new Promise((r) => setTimeout(r, 7 + (k % 5)));
    }
    worker.postMessage({ cmd: "close" });
    await next("closed");

    const teleop = quantiles(teleopLatency);
    const estopHttp = quantiles(http.map((x) => x.wallMs));
    const estopNodeHttp = quantiles(nodeHttp.map((x) => x.wallMs));
    const estopWs = quantiles(wsStops.map((x) => x.wallMs));
    const estopArbiter = quantiles([...http, ...nodeHttp, ...wsStops].map((x) => x.arbiterMs));
    const split = (xs: Stop[]): { toServer: Quantiles; inServer: Quantiles } => ({
      toServer: quantiles(xs.map((x) => x.toServerMs).filter(Number.isFinite)),
      inServer: quantiles(xs.map((x) => x.inServerMs).filter(Number.isFinite)),
    });
    const httpSplit = split(http);
    const nodeHttpSplit = split(nodeHttp);
    const teleopTarget = periodMs + 0.5;
    const fmt = (q: Quantiles): string => `${q.p99Ms.toFixed(3)} ms (p50 ${q.p50Ms.toFixed(3)}, max ${q.maxMs.toFixed(3)}, n ${q.n})`;
    const rows = [
      { group: "safety", metric: `teleop WS message -> command written, ${RATE_HZ} Hz: p99`, value: fmt(teleop), target: `<= ${teleopTarget} ms`, ok: teleop.p99Ms <= teleopTarget },
      { group: "safety", metric: "e-stop POST /api/estop -> safe command written: p99", value: fmt(estopHttp), target: `<= ${periodMs} ms`, ok: estopHttp.p99Ms <= periodMs },
      { group: "safety", metric: "e-stop POST /api/estop (node:http keep-alive client) -> safe command written: p99", value: fmt(estopNodeHttp), target: `<= ${periodMs} ms`, ok: estopNodeHttp.p99Ms <= periodMs },
      { group: "safety", metric: "  split, fetch client: call -> request at the server: p99", value: fmt(httpSplit.toServer) },
      { group: "safety", metric: "  split, fetch client: request at the server -> safe command written: p99", value: fmt(httpSplit.inServer) },
      { group: "safety", metric: "  split, node:http client: call -> request at the server: p99", value: fmt(nodeHttpSplit.toServer) },
      { group: "safety", metric: "  split, node:http client: request at the server -> safe command written: p99", value: fmt(nodeHttpSplit.inServer) },
      { group: "safety", metric: "e-stop over the WebSocket -> safe command written: p99", value: fmt(estopWs), target: `<= ${periodMs} ms`, ok: estopWs.p99Ms <= periodMs },
      { group: "safety", metric: "e-stop request -> first safe tick (arbiter clock): max", value: `${estopArbiter.maxMs.toFixed(3)} ms (p50 ${estopArbiter.p50Ms.toFixed(3)})`, target: `<= ${periodMs} ms`, ok: estopArbiter.maxMs <= periodMs },
    ];
    return { rateHz: RATE_HZ, periodMs, teleop: { ...teleop, unmatched }, estopHttp, estopNodeHttp, estopHttpSplit: httpSplit, estopNodeHttpSplit: nodeHttpSplit, estopWs, estopArbiter, loop: session.safety?.loopStats(), rows };
  } finally {
    diagnostics.unsubscribe("http.server.request.start", onRequest);
    session.stop();
    await run;
    await session.close();
    await worker.terminate();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = await benchSafety({ quick: process.argv.includes("--quick") });
  console.log(JSON.stringify(r, null, 2));
}
