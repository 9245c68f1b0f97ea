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
  const state = (window.tendonDashboard = { frames: 0, samples: 0, hello: null, status: null, plots: {}, matrixFrames: 0 });

  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const color = (i) => palette[i % palette.length];

  // --- plots ---------------------------------------------------------------------------------
  const series = {}; // name -> { t: [], ys: [[]...] }
  function makePlot(key, labels) {
    const el = $(`plot-${key}`);
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
    let cut = 0;
    while (cut < s.t.length && s.t[cut] < last - WINDOW_SEC) cut++;
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
      if (f.stats) showLoop(f.stats, f.ticks);
      redraw();
    });
    source.addEventListener("end", () => {
      $("link").textContent = "feed: run ended";
      $("link").className = "pill";
      source.close();
    });
    source.onerror = () => {
      $("link").textContent = "feed: waiting";
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

  // --- status: owners and e-stop -----------------------------------------------------------------
  async function pollStatus() {
    try {
      const res = await fetch("/api/status", { headers, cache: "no-store" });
      const s = await res.json();
      state.status = s;
      if (s.ready) {
        const latched = s.estop && s.estop.latched;
        $("estop-state").textContent = latched ? `E-STOP LATCHED${s.estop.reason ? `: ${s.estop.reason}` : ""}` : "e-stop: released";
        $("estop-state").className = latched ? "pill bad" : "pill ok";
        const body = $("owners").querySelector("tbody");
        body.innerHTML = Object.entries(s.owners || {})
          .map(([g, o]) => `<tr><td>${g}</td><td class="${o === "estop" ? "owner-estop" : ""}">${o}</td></tr>`)
          .join("");
      }
    } catch {
      $("estop-state").textContent = "e-stop: ? (no API)";
    }
    setTimeout(pollStatus, 250);
  }

  async function post(path) {
    const res = await fetch(path, { method: "POST", headers });
    return res.json();
  }
  $("estop").addEventListener("click", () => post("/api/estop?reason=dashboard").then(pollNow));
  $("reset").addEventListener("click", () => post("/api/reset").then(pollNow));
  function pollNow() {
    fetch("/api/status", { headers, cache: "no-store" })
      .then((r) => r.json())
      .then((s) => (state.status = s))
      .catch(() => undefined);
  }

  // --- teleop: deadman and sliders per muscle group ------------------------------------------------
  let ws;
  let held = false;
  let sendTimer;
  const efforts = {};
  function connectTeleop() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(withToken(`${scheme}://${location.host}/api/teleop`));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "hello") {
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
      $("teleop-state").textContent = "teleop: not connected";
      setTimeout(connectTeleop, 2000);
    };
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
    deadman.setPointerCapture(e.pointerId);
    hold(true);
  });
  for (const ev of ["pointerup", "pointercancel", "lostpointercapture"]) deadman.addEventListener(ev, () => held && hold(false));
  window.addEventListener("blur", () => held && hold(false));

  connectFeed();
  pollStatus();
  connectTeleop();
})();
