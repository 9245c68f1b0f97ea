// The tendon dashboard: live plots from /dashboard/feed (Server-Sent Events), owners and e-stop
// from GET /api/status, e-stop / reset over POST, teleop over the /api/teleop WebSocket.
// Plain browser JavaScript, no build step; uPlot is served by the same server.
(function () {
  "use strict";
  const WINDOW_SEC = 10;
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  const withToken = (path) => (token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path);
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const $ = (id) => document.getElementById(id);

  // What the test (and a curious person in the console) can read.
  const state = (window.tendonDashboard = {
    frames: 0,
    samples: 0,
    hello: null,
    status: null,
    plots: {},
    matrixFrames: 0,
    // Planner and learner topics (tendon plan, tendon play): plans seen, trajectories drawn, vector topics plotted.
    plans: 0,
    trajectoryFrames: 0,
    series: {},
    // The API as this page sees it: "connecting", "ok", "not-ready", "unauthorized", "forbidden" or "down".
    api: "connecting",
    apiReason: "",
    // When the e-stop state shown was last read (ms, performance.now()), and whether it is older than STALE_MS.
    statusAt: null,
    stale: false,
    teleop: "connecting",
  });
  const STALE_MS = 1000;

  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const color = (i) => palette[i % palette.length];

  // --- plots ---------------------------------------------------------------------------------
  const series = {}; // name -> { t: [], ys: [[]...] }
  // Seconds of history per plot (default WINDOW_SEC); Infinity keeps every point (one per model update).
  const windows = {};
  function makePlot(key, labels, windowSec) {
    const el = $(`plot-${key}`);
    windows[key] = windowSec ?? WINDOW_SEC;
    el.textContent = "";
    const width = Math.max(300, el.clientWidth || 400);
    const opts = {
      width,
      height: 200,
      legend: { live: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ label: "s" }, {}],
      series: [{}, ...labels.map((label, i) => ({ label, stroke: color(i), width: 1.25 }))],
    };
    series[key] = { t: [], ys: labels.map(() => []) };
    state.plots[key] = new uPlot(opts, [[], ...labels.map(() => [])], el);
  }

  function append(key, t, rows) {
    const s = series[key];
    if (!s) return;
    for (let k = 0; k < t.length; k++) {
      s.t.push(t[k]);
      for (let i = 0; i < s.ys.length; i++) s.ys[i].push(rows[k][i]);
    }
    const last = s.t[s.t.length - 1];
    const windowSec = windows[key] ?? WINDOW_SEC;
    let cut = 0;
    while (cut < s.t.length && s.t[cut] < last - windowSec) cut++;
    if (cut > 0) {
      s.t.splice(0, cut);
      for (const y of s.ys) y.splice(0, cut);
    }
  }

  function redraw() {
    for (const [key, s] of Object.entries(series)) state.plots[key].setData([s.t, ...s.ys]);
  }

  // --- DEP matrix heatmap ---------------------------------------------------------------------
  function drawMatrix(m) {
    const canvas = $("matrix");
    const ctx = canvas.getContext("2d");
    const n = m.n;
    let max = 1e-12;
    for (const v of m.data) max = Math.max(max, Math.abs(v));
    const cell = canvas.width / n;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const v = m.data[r * n + c] / max;
        // Diverging: blue (negative) - white - red (positive).
        const a = Math.round(255 * (1 - Math.abs(v)));
        ctx.fillStyle = v >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
        ctx.fillRect(c * cell, r * cell, Math.ceil(cell), Math.ceil(cell));
      }
    }
    $("matrix-scale").textContent = `rows: motors, columns: sensors; blue −${max.toPrecision(3)} … red +${max.toPrecision(3)}`;
    state.matrixFrames++;
  }

  // --- planner and learner topics (only when the run has them) ----------------------------------
  const PLAN_WINDOW_SEC = 120;
  function showPlans(p) {
    if (!state.plots["plan-cost"]) {
      $("planner").hidden = false;
      makePlot("plan-cost", ["cost"], PLAN_WINDOW_SEC);
      makePlot("plan-disagreement", ["disagreement"], PLAN_WINDOW_SEC);
    }
    append("plan-cost", p.t, p.cost.map((c) => [c]));
    append("plan-disagreement", p.t, p.disagreement.map((d) => [d]));
    state.plans += p.t.length;
  }

  // The newest plan's predicted trajectory: x against y for a site (or two joints), else the value over the plan's steps.
  function drawTrajectory(tr) {
    const canvas = $("trajectory");
    const ctx = canvas.getContext("2d");
    const { columns, horizon, data } = tr;
    const c = columns.length;
    if (c === 0 || horizon === 0) return;
    const two = c >= 2;
    const pts = [];
    for (let k = 0; k < horizon; k++) pts.push(two ? [data[k * c], data[k * c + 1]] : [k, data[k * c]]);
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const [x, y] of pts) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
    if (!Number.isFinite(x0)) return;
    // Equal scales for a site's plane; a margin so a short plan is not a dot in a corner.
    const span = Math.max(x1 - x0, y1 - y0, 1e-3) * 1.2;
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const sx = two ? span : Math.max(x1 - x0, 1) * 1.1;
    const sy = span;
    const px = (x) => ((x - (two ? cx : x0 - 0.05 * sx)) / sx + (two ? 0.5 : 0)) * canvas.width;
    const py = (y) => (0.5 - (y - cy) / sy) * canvas.height;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = color(0);
    ctx.lineWidth = 2;
    ctx.beginPath();
    pts.forEach(([x, y], k) => (k === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
    ctx.fillStyle = color(3);
    ctx.beginPath();
    ctx.arc(px(pts[0][0]), py(pts[0][1]), 4, 0, 2 * Math.PI);
    ctx.fill();
    $("trajectory-caption").textContent = two ? `Planned trajectory: ${columns[0]} (x) against ${columns[1]} (y), ${horizon} steps` : `Planned trajectory: ${columns[0]} over ${horizon} steps`;
    $("trajectory-scale").textContent = `red: the plan's first step; ${two ? `${span.toPrecision(3)} across` : `${y0.toPrecision(3)} … ${y1.toPrecision(3)}`}`;
    state.trajectoryFrames++;
  }

  // Vector topics (/learner/model_loss, ...): one plot each, made when the topic first comes.
  function showSeries(all) {
    for (const [topic, s] of Object.entries(all)) {
      const key = `series${topic.replace(/[^A-Za-z0-9]+/g, "-")}`;
      if (!state.plots[key]) {
        const box = $("series");
        box.hidden = false;
        const fig = document.createElement("figure");
        fig.innerHTML = `<figcaption></figcaption><div id="plot-${key}" class="plot"></div>`;
        fig.querySelector("figcaption").textContent = `${topic} (${s.labels.join(", ")})`;
        box.appendChild(fig);
        makePlot(key, s.labels, Infinity);
      }
      append(key, s.t, s.rows);
      state.series[topic] = (state.series[topic] || 0) + s.t.length;
    }
  }

  // --- feed ------------------------------------------------------------------------------------
  function connectFeed() {
    const source = new EventSource(withToken("feed"));
    source.addEventListener("hello", (e) => {
      const h = JSON.parse(e.data);
      state.hello = h;
      $("run").textContent = `${h.controller} on ${h.muscles.length} muscles, ${h.joints.length} joints, ${(1 / h.periodSec).toFixed(0)} Hz`;
      const muscles = h.muscles.map((m) => m.name);
      makePlot("activation", muscles);
      makePlot("length", muscles);
      makePlot("force", muscles);
      makePlot("angle", h.joints.map((j) => j.name));
      makePlot("timing", ["compute", "lateness"]);
      $("link").textContent = "feed: live";
      $("link").className = "pill ok";
    });
    source.addEventListener("frame", (e) => {
      const f = JSON.parse(e.data);
      state.frames++;
      state.samples += f.t.length;
      append("activation", f.t, f.activation);
      append("length", f.t, f.length);
      append("force", f.t, f.force);
      append("angle", f.t, f.angle);
      append("timing", f.t, f.computeMs.map((c, k) => [c, f.lateMs[k]]));
      if (f.matrix) drawMatrix(f.matrix);
      if (f.plan) showPlans(f.plan);
      if (f.trajectory) drawTrajectory(f.trajectory);
      if (f.series) showSeries(f.series);
      if (f.stats) showLoop(f.stats, f.ticks);
      redraw();
    });
    source.addEventListener("end", () => {
      $("link").textContent = "feed: run ended";
      $("link").className = "pill";
      source.close();
    });
    source.onerror = () => {
      $("link").textContent = state.api === "unauthorized" || state.api === "forbidden" ? "feed: refused" : "feed: waiting";
      $("link").className = "pill";
      source.close();
      setTimeout(connectFeed, 1000);
    };
  }

  function showLoop(stats, ticks) {
    const rows = [
      ["ticks", ticks],
      ["compute mean / p99 / max", `${stats.meanComputeMs} / ${stats.p99ComputeMs} / ${stats.maxComputeMs} ms`],
      ["period error p50 / p99", `${stats.p50PeriodErrorMs} / ${stats.p99PeriodErrorMs} ms`],
      ["overruns", `${stats.overruns} (${stats.missedCycles} skipped)`],
    ];
    $("loop").querySelector("tbody").innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join("");
  }

  // --- connection: what the page can do, and why not ---------------------------------------------
  // The controls are enabled only while the API answers this page: a button that cannot act must
  // not look as if it could. The e-stop state shown is marked stale when it was not read recently.
  function setApi(api, reason) {
    state.api = api;
    state.apiReason = reason || "";
    const banner = $("banner");
    const problem = api === "unauthorized" || api === "forbidden" || api === "down";
    banner.hidden = !problem;
    banner.textContent = problem ? `Not connected: ${reason}. E-STOP and Reset on this page cannot act; use another way to stop the arm.` : "";
    const canAct = api === "ok";
    $("estop").disabled = !(canAct || api === "not-ready");
    $("reset").disabled = !canAct;
    $("estop").title = canAct ? "Latch the e-stop: every muscle gets its safe command until reset" : `Cannot act: ${reason || "not connected yet"}`;
    if (problem) $("run").textContent = `not connected: ${reason}`;
    updateDeadman();
  }

  function unauthorizedReason() {
    return token ? "the server refused the token in this page's address (wrong token?)" : "this server needs its token: open /dashboard/?token=TOKEN";
  }

  function showStale() {
    if (state.statusAt === null) return;
    const age = performance.now() - state.statusAt;
    const stale = age > STALE_MS;
    state.stale = stale;
    if (stale) {
      const latched = state.status && state.status.estop && state.status.estop.latched;
      $("estop-state").textContent = `e-stop: ${latched ? "LATCHED" : "released"}? stale, last read ${(age / 1000).toFixed(1)} s ago`;
      $("estop-state").className = "pill stale";
    }
  }

  // --- status: owners and e-stop -----------------------------------------------------------------
  function showStatus(s) {
    state.status = s;
    state.statusAt = performance.now();
    state.stale = false;
    const latched = s.estop && s.estop.latched;
    $("estop-state").textContent = latched ? `E-STOP LATCHED${s.estop.reason ? `: ${s.estop.reason}` : ""}` : "e-stop: released";
    $("estop-state").className = latched ? "pill bad" : "pill ok";
    const body = $("owners").querySelector("tbody");
    body.innerHTML = Object.entries(s.owners || {})
      .map(([g, o]) => `<tr><td>${g}</td><td class="${o === "estop" ? "owner-estop" : ""}">${o}</td></tr>`)
      .join("");
  }

  async function readStatus() {
    let res;
    try {
      res = await fetch("/api/status", { headers, cache: "no-store" });
    } catch {
      setApi("down", "the pipeline's server does not answer (run ended or stopped?)");
      return;
    }
    if (res.status === 401) return setApi("unauthorized", unauthorizedReason());
    if (res.status === 403) {
      const body = await res.json().catch(() => ({}));
      return setApi("forbidden", body.error || "the server refused this page");
    }
    const s = await res.json().catch(() => null);
    if (!s) return setApi("down", "the server's answer was not JSON");
    if (!s.ready) return setApi("not-ready", "the run has not started yet");
    showStatus(s);
    setApi("ok");
  }

  async function pollStatus() {
    await readStatus();
    showStale();
    setTimeout(pollStatus, 250);
  }

  async function post(path) {
    let res;
    try {
      res = await fetch(path, { method: "POST", headers });
    } catch {
      setApi("down", "the pipeline's server does not answer (run ended or stopped?)");
      return;
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const banner = $("banner");
      banner.hidden = false;
      banner.textContent = `${path} refused (HTTP ${res.status}): ${body.error || "no reason given"}`;
    }
    return body;
  }
  $("estop").addEventListener("click", () => post("/api/estop?reason=dashboard").then(readStatus));
  $("reset").addEventListener("click", () => post("/api/reset").then(readStatus));

  // --- teleop: deadman and sliders per muscle group ------------------------------------------------
  let ws;
  let held = false;
  let sendTimer;
  const efforts = {};
  function connectTeleop() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(withToken(`${scheme}://${location.host}/api/teleop`));
    let helloSeen = false;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "hello") {
        helloSeen = true;
        state.teleop = "connected";
        updateDeadman();
        $("teleop-state").textContent = `teleop: connected (deadman timeout ${m.heartbeatTimeoutSec ?? "?"} s)`;
        const box = $("sliders");
        box.textContent = "";
        for (const group of Object.keys(m.groups || {})) {
          efforts[group] = 0;
          const row = document.createElement("label");
          row.className = "slider";
          row.innerHTML = `<span>${group}</span><input type="range" min="-1" max="1" step="0.05" value="0" data-group="${group}"><output>0</output>`;
          const input = row.querySelector("input");
          input.addEventListener("input", () => {
            efforts[group] = Number(input.value);
            row.querySelector("output").textContent = input.value;
          });
          box.appendChild(row);
        }
      } else if (m.type === "error") {
        $("teleop-state").textContent = `teleop: ${m.message}`;
      }
    };
    ws.onclose = () => {
      state.teleop = helloSeen ? "closed" : "refused";
      if (held) hold(false);
      updateDeadman();
      // A browser does not show why a WebSocket handshake failed; the API's answer says.
      const why = state.api === "ok" || state.api === "not-ready" ? "" : `: ${state.apiReason}`;
      $("teleop-state").textContent = `teleop: not connected${why}`;
      setTimeout(connectTeleop, 2000);
    };
  }
  function updateDeadman() {
    const d = $("deadman");
    const can = state.teleop === "connected" && state.api === "ok";
    d.disabled = !can;
    d.title = can ? "" : "Cannot drive: teleop is not connected";
  }
  function sendTeleop() {
    if (!held || !ws || ws.readyState !== WebSocket.OPEN) return;
    for (const [group, effort] of Object.entries(efforts)) ws.send(JSON.stringify({ type: "command", group, effort }));
    ws.send(JSON.stringify({ type: "heartbeat" }));
  }
  function hold(on) {
    held = on;
    $("deadman").classList.toggle("held", on);
    $("deadman").textContent = on ? "Driving — release to hand back" : "Hold: deadman";
    if (on) {
      sendTeleop();
      sendTimer = setInterval(sendTeleop, 50);
    } else {
      clearInterval(sendTimer);
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "release" }));
    }
  }
  const deadman = $("deadman");
  deadman.addEventListener("pointerdown", (e) => {
    if (deadman.disabled) return;
    deadman.setPointerCapture(e.pointerId);
    hold(true);
  });
  for (const ev of ["pointerup", "pointercancel", "lostpointercapture"]) deadman.addEventListener(ev, () => held && hold(false));
  window.addEventListener("blur", () => held && hold(false));

  connectFeed();
  pollStatus();
  connectTeleop();
})();
