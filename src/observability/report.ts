/**
 * `tendon report FILE`: one self-contained HTML file about a recorded run, to keep beside the
 * recording and open anywhere (no server, no network): uPlot and its style are inlined, the data
 * is embedded as JSON.
 *
 * It shows what the run was (the "tendon.run" metadata, or the topics), statistics per topic and
 * per muscle, the loop's timing, plots of muscle commands (activations), lengths, forces and joint
 * angles, the joint-space trajectory, DEP's matrix at a few moments, and the coverage of DEP
 * against the noise baseline when the recording holds it (`tendon sim --compare-noise --record`).
 * A truncated recording is reported up to its last complete chunk, and says so.
 */
import fs from "node:fs";
import { TOPICS } from "../transport/topics.js";
import type { DiagnosticArrayMsg, Float64MultiArrayMsg, JointStateMsg } from "../transport/messages.js";
import { RUN_IDENTITY_METADATA, type RunIdentity } from "./runMetadata.js";
import { uplotFiles } from "./dashboard/DashboardRoutes.js";
import { describeDamagedChunk, readMessages, summarizeRecording, type RecordingSummary } from "./readRecording.js";

/** At most this many points per plotted series (longer runs are thinned evenly). */
const MAX_POINTS = 8000;

interface Series {
  t: number[];
  names: string[];
  rows: number[][];
}

function newSeries(): Series {
  return { t: [], names: [], rows: [] };
}

function thin(s: Series): Series {
  const n = s.t.length;
  if (n <= MAX_POINTS) return s;
  const step = n / MAX_POINTS;
  const keep: number[] = [];
  for (let i = 0; i < MAX_POINTS; i++) keep.push(Math.floor(i * step));
  return { names: s.names, t: keep.map((i) => s.t[i]), rows: keep.map((i) => s.rows[i]) };
}

function stats(values: number[]): { mean: number; min: number; max: number; sd: number } {
  if (values.length === 0) return { mean: NaN, min: NaN, max: NaN, sd: NaN };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return { mean, min, max, sd: Math.sqrt(sq / values.length) };
}

export interface ReportData {
  readonly title: string;
  readonly summary: RecordingSummary;
  readonly run: Record<string, string> | undefined;
  readonly runSummary: Record<string, unknown> | undefined;
  /** What the run ran (the "tendon.params" record), when the recording says. */
  readonly identity: RunIdentity | undefined;
  readonly coverage: Record<string, { bins: number; points: [number, number][] }> | undefined;
  readonly commands: Series;
  readonly lengths: Series;
  readonly forces: Series;
  readonly angles: Series;
  readonly matrices: { t: number; n: number; data: number[] }[];
  readonly diagnostics: { t: number; values: Record<string, string> }[];
}

/** Reads everything the report shows from a recording. */
export async function collectReport(file: string): Promise<ReportData> {
  const summary = await summarizeRecording(file);
  const t0 = summary.startNs;
  const sec = (t: bigint): number => Number(t - t0) / 1e9;
  const commands = newSeries();
  const lengths = newSeries();
  const forces = newSeries();
  const angles = newSeries();
  const allMatrices: { t: number; n: number; data: number[] }[] = [];
  const diagnostics: { t: number; values: Record<string, string> }[] = [];
  const topics = [TOPICS.muscleStates, TOPICS.jointStates, TOPICS.muscleCommands, TOPICS.depMatrix, TOPICS.diagnostics];
  for await (const m of readMessages(file, { topics, recordByRecord: summary.damagedChunks.length > 0 })) {
    const t = sec(m.logTimeNs);
    if (m.topic === TOPICS.muscleStates) {
      const js = m.message as JointStateMsg;
      lengths.names = forces.names = js.name;
      lengths.t.push(t);
      forces.t.push(t);
      lengths.rows.push(Array.from(js.position));
      forces.rows.push(Array.from(js.effort));
    } else if (m.topic === TOPICS.jointStates) {
      const js = m.message as JointStateMsg;
      angles.names = js.name;
      angles.t.push(t);
      angles.rows.push(Array.from(js.position));
    } else if (m.topic === TOPICS.muscleCommands) {
      commands.t.push(t);
      commands.rows.push(Array.from((m.message as Float64MultiArrayMsg).data));
    } else if (m.topic === TOPICS.depMatrix) {
      const a = m.message as Float64MultiArrayMsg;
      allMatrices.push({ t, n: a.layout.dim[0]?.size ?? Math.round(Math.sqrt(a.data.length)), data: Array.from(a.data) });
    } else if (m.topic === TOPICS.diagnostics) {
      const d = m.message as DiagnosticArrayMsg;
      const loop = d.status.find((s) => s.values.some((v) => v.key === "p99_execution_ms"));
      if (loop) diagnostics.push({ t, values: Object.fromEntries(loop.values.map((v) => [v.key, v.value])) });
    }
  }
  const run = summary.metadata.get("tendon.run");
  commands.names = run?.muscles ? (JSON.parse(run.muscles) as string[]) : lengths.names;
  if (commands.names.length === 0 && commands.rows.length > 0) commands.names = commands.rows[0].map((_, i) => `muscle ${i}`);
  // DEP's matrix at up to 6 moments spread over the run (always the last).
  const matrices: typeof allMatrices = [];
  if (allMatrices.length > 0) {
    const k = Math.min(6, allMatrices.length);
    for (let i = 0; i < k; i++) matrices.push(allMatrices[Math.round((i * (allMatrices.length - 1)) / Math.max(1, k - 1))]);
  }
  const summaryJson = summary.metadata.get("tendon.summary")?.json;
  const identityJson = summary.metadata.get(RUN_IDENTITY_METADATA)?.json;
  const cov = summary.metadata.get("tendon.coverage");
  return {
    title: file.split("/").pop() ?? file,
    summary,
    run,
    identity: identityJson ? (JSON.parse(identityJson) as RunIdentity) : undefined,
    runSummary: summaryJson ? (JSON.parse(summaryJson) as Record<string, unknown>) : undefined,
    coverage: cov ? Object.fromEntries(Object.entries(cov).map(([k, v]) => [k, JSON.parse(v) as { bins: number; points: [number, number][] }])) : undefined,
    commands,
    lengths,
    forces,
    angles,
    matrices,
    diagnostics,
  };
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const fmt = (x: number, d = 4): string => (Number.isFinite(x) ? Number(x.toPrecision(d)).toString() : "–");

function muscleTable(d: ReportData): string {
  const names = d.lengths.names.length > 0 ? d.lengths.names : d.commands.names;
  if (names.length === 0) return "<p>No muscle states in this recording.</p>";
  const col = (s: Series, i: number): number[] => s.rows.map((r) => r[i]);
  const rows = names.map((name, i) => {
    const c = stats(col(d.commands, i));
    const l = stats(col(d.lengths, i));
    const f = stats(col(d.forces, i));
    return `<tr><td>${esc(name)}</td><td>${fmt(c.mean)}</td><td>${fmt(c.sd)}</td><td>${fmt(l.min)} – ${fmt(l.max)}</td><td>${fmt(f.mean)}</td><td>${fmt(f.max)}</td></tr>`;
  });
  return `<table><thead><tr><th>muscle</th><th>command mean</th><th>command sd</th><th>length range (m)</th><th>force mean (N)</th><th>force max (N)</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function topicTable(s: RecordingSummary): string {
  const dur = Number(s.endNs - s.startNs) / 1e9;
  const rows = [...s.channels]
    .sort((a, b) => a.topic.localeCompare(b.topic))
    .map((c) => `<tr><td>${esc(c.topic)}</td><td>${esc(c.type)}</td><td>${c.count}</td><td>${dur > 0 && c.count > 1 ? fmt((c.count - 1) / dur) : "–"}</td></tr>`);
  return `<table><thead><tr><th>topic</th><th>type</th><th>messages</th><th>rate (Hz)</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function loopTable(d: ReportData): string {
  const loop = d.runSummary?.loop as Record<string, number> | undefined;
  const last = d.diagnostics[d.diagnostics.length - 1]?.values;
  const rows: [string, string][] = [];
  if (loop) {
    rows.push(["ticks", String(d.runSummary?.ticks ?? loop.ticks ?? "")]);
    rows.push(["compute mean / p99 / max", `${loop.meanComputeMs} / ${loop.p99ComputeMs} / ${loop.maxComputeMs} ms`]);
    rows.push(["period error p50 / p99 / max", `${loop.p50PeriodErrorMs} / ${loop.p99PeriodErrorMs} / ${loop.maxPeriodErrorMs} ms`]);
    rows.push(["overruns", `${loop.overruns} (${loop.missedCycles} cycles skipped)`]);
    if (d.runSummary?.realTimeFactor !== undefined) rows.push(["real-time factor", `${fmt(Number(d.runSummary.realTimeFactor), 3)}x`]);
  } else if (last) {
    rows.push(["ticks (last diagnostics)", last.ticks ?? ""]);
    rows.push(["execution mean / p99 / max", `${last.mean_execution_ms} / ${last.p99_execution_ms} / ${last.max_execution_ms} ms`]);
    rows.push(["period error p50 / p99 / max", `${last.p50_period_error_ms} / ${last.p99_period_error_ms} / ${last.max_period_error_ms} ms`]);
    rows.push(["overruns", `${last.overruns} (${last.missed_cycles} cycles skipped)`]);
  } else {
    return "<p>No loop statistics in this recording.</p>";
  }
  return `<table><tbody>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</tbody></table>`;
}

function coverageSection(d: ReportData): string {
  if (!d.coverage || Object.keys(d.coverage).length === 0) return "";
  const finals = Object.entries(d.coverage).map(([k, c]) => `${k === "dep" ? "DEP" : k} <b>${fmt(c.points[c.points.length - 1]?.[1] ?? NaN, 3)}</b>`);
  const bins = Object.values(d.coverage)[0].bins;
  return `<section><h2>Joint-space coverage</h2><p>Visited fraction of a ${bins}-cell-per-joint grid over the joint ranges: ${finals.join(" · ")}${
    d.coverage.noise ? " (noise: uniform random muscle commands every tick, same duration and seed)" : ""
  }.</p><div id="plot-coverage" class="plot"></div></section>`;
}

/** What the run ran ("tendon.params"): version, model hash, seed, rate, DEP's preset, mapping and parameters. */
function identitySection(d: ReportData): string {
  const id = d.identity;
  if (!id) return "";
  const rows: [string, string][] = [
    ["tendon", id.tendonVersion],
    ["command", `tendon ${id.command}`],
    ["model", `${id.model} (sha256 ${id.modelSha256})`],
    ["controller", id.controller],
    ["seed", String(id.seed)],
    ["rate", `${fmt(id.rateHz, 6)} Hz${id.frameSkip !== undefined ? ` (frame skip ${id.frameSkip} x ${fmt((id.timestepSec ?? 0) * 1000, 4)} ms)` : ""}`],
    ...(id.params ? ([["preset", id.preset ?? "default"], ["mapping", id.mapping ?? "default"]] as [string, string][]) : []),
    ...Object.entries(id.params ?? {}).map(([k, v]): [string, string] => [`DEP ${k}`, String(v)]),
  ];
  return `<section id="ran"><h2>What ran</h2><p class="small">Repeat it: <code>tendon info --params FILE.mcap &gt; p.json; tendon sim --params p.json</code></p><table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table></section>`;
}

/** The report as one HTML document. */
export function renderReport(d: ReportData): string {
  const { js, css } = uplotFiles();
  const s = d.summary;
  const dur = Number(s.endNs - s.startNs) / 1e9;
  const what = d.run
    ? `tendon ${esc(d.run.command ?? "")}: ${esc(d.run.controller ?? "")} on ${esc(d.run.model ?? "")}, ${fmt(Number(d.run.rate_hz), 4)} Hz, ${fmt(dur, 4)} s`
    : `${fmt(dur, 4)} s, ${s.channels.length} topics`;
  const data = {
    commands: thin(d.commands),
    lengths: thin(d.lengths),
    forces: thin(d.forces),
    angles: thin(d.angles),
    matrices: d.matrices,
    coverage: d.coverage ?? null,
    diagnostics: d.diagnostics.map((x) => ({ t: x.t, p99: Number(x.values.p99_execution_ms), mean: Number(x.values.mean_execution_ms) })),
  };
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tendon report: ${esc(d.title)}</title>
<style>${fs.readFileSync(css, "utf8")}</style>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:6px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}th{background:#f6f6f6}
.warn{background:#fff3e0;border:1px solid #ef6c00;padding:8px 12px;border-radius:4px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}.plot{min-height:240px}
.matrices{display:flex;flex-wrap:wrap;gap:12px}.matrices figure{margin:0;text-align:center;font-size:12px;color:#555}
canvas.m{width:160px;height:160px;image-rendering:pixelated;border:1px solid #ccc}.small{font-size:12px;color:#666}
</style></head><body>
<h1>tendon report: ${esc(d.title)}</h1>
<p>${what}. Recorded ${s.messageCount > 0 ? new Date(Number(s.startNs) / 1e6).toISOString() : "–"}; ${s.messageCount} messages, ${(s.bytes / 1e6).toFixed(2)} MB.</p>
${s.complete ? "" : `<p class="warn"><b>Truncated recording.</b> ${esc(s.truncation ?? "")}</p>`}
${s.damagedChunks.length === 0 ? "" : `<p class="warn" id="damaged"><b>Damaged recording.</b> ${s.damagedChunks.length} of ${s.chunkCount} chunks cannot be read; everything else is shown.<br>${s.damagedChunks.map((c) => esc(describeDamagedChunk(c, s))).join("<br>")}</p>`}
<section><h2>Muscle commands (activations)</h2><div class="grid"><div id="plot-commands" class="plot"></div><div>${muscleTable(d)}</div></div></section>
<section><h2>Muscle lengths and forces</h2><div class="grid"><div id="plot-lengths" class="plot"></div><div id="plot-forces" class="plot"></div></div></section>
<section><h2>Joints</h2><div class="grid"><div id="plot-angles" class="plot"></div><div id="plot-trajectory" class="plot"></div></div></section>
${coverageSection(d)}
<section><h2>DEP matrix</h2>${d.matrices.length === 0 ? "<p>No /dep/matrix in this recording.</p>" : `<p class="small">Rows: motors, columns: sensors; each normalized to its largest entry: blue negative, red positive.</p><div class="matrices" id="matrices"></div>`}</section>
<section><h2>Loop</h2><div class="grid"><div>${loopTable(d)}</div><div id="plot-timing" class="plot"></div></div></section>
${identitySection(d)}
<section><h2>Topics</h2>${topicTable(s)}</section>
<script>${fs.readFileSync(js, "utf8")}</script>
<script>
const D = ${json};
const palette = ["#1f77b4","#ff7f0e","#2ca02c","#d62728","#9467bd","#8c564b","#e377c2","#7f7f7f","#bcbd22","#17becf"];
function plot(id, s, yLabel) {
  const el = document.getElementById(id);
  if (!el || !s || s.t.length === 0) { if (el) el.textContent = "no data"; return; }
  const cols = s.names.length ? s.names : s.rows[0].map((_, i) => "series " + i);
  const data = [s.t, ...cols.map((_, i) => s.rows.map((r) => r[i]))];
  new uPlot({ width: el.clientWidth || 560, height: 240, title: yLabel, scales: { x: { time: false } }, axes: [{ label: "s" }, {}],
    series: [{}, ...cols.map((n, i) => ({ label: n, stroke: palette[i % palette.length], width: 1 }))] }, data, el);
}
plot("plot-commands", D.commands, "command (activation)");
plot("plot-lengths", D.lengths, "length (m)");
plot("plot-forces", D.forces, "force (N)");
plot("plot-angles", D.angles, "angle (rad)");
(function trajectory() {
  const el = document.getElementById("plot-trajectory");
  const a = D.angles;
  if (!a.t.length || a.rows[0].length < 2) { el.textContent = "joint-space trajectory: needs two joints"; return; }
  const xs = a.rows.map((r) => r[0]), ys = a.rows.map((r) => r[1]);
  const order = xs.map((x, i) => i).sort((i, j) => xs[i] - xs[j]);
  new uPlot({ width: el.clientWidth || 560, height: 240, title: a.names[0] + " vs " + a.names[1] + " (rad)", mode: 1, cursor: { show: false },
    scales: { x: { time: false } }, axes: [{ label: a.names[0] }, { label: a.names[1] }],
    series: [{}, { label: "visited", stroke: "#1f77b4", paths: () => null, points: { show: true, size: 2, fill: "#1f77b4" } }] },
    [order.map((i) => xs[i]), order.map((i) => ys[i])], el);
})();
if (D.coverage) {
  const el = document.getElementById("plot-coverage");
  const keys = Object.keys(D.coverage);
  const ts = [...new Set(keys.flatMap((k) => D.coverage[k].points.map((p) => p[0])))].sort((a, b) => a - b);
  const col = (k) => { const m = new Map(D.coverage[k].points); return ts.map((t) => m.has(t) ? m.get(t) : null); };
  new uPlot({ width: el.clientWidth || 1100, height: 240, title: "coverage", scales: { x: { time: false }, y: { range: [0, 1] } }, axes: [{ label: "s" }, {}],
    series: [{}, ...keys.map((k, i) => ({ label: k === "dep" ? "DEP" : k, stroke: palette[i], width: 2, spanGaps: true }))] }, [ts, ...keys.map(col)], el);
}
(function matrices() {
  const box = document.getElementById("matrices");
  if (!box) return;
  for (const m of D.matrices) {
    const fig = document.createElement("figure");
    const c = document.createElement("canvas");
    c.className = "m"; c.width = m.n; c.height = m.n;
    const ctx = c.getContext("2d");
    let max = 1e-12; for (const v of m.data) max = Math.max(max, Math.abs(v));
    for (let r = 0; r < m.n; r++) for (let k = 0; k < m.n; k++) {
      const v = m.data[r * m.n + k] / max, a = Math.round(255 * (1 - Math.abs(v)));
      ctx.fillStyle = v >= 0 ? "rgb(255," + a + "," + a + ")" : "rgb(" + a + "," + a + ",255)";
      ctx.fillRect(k, r, 1, 1);
    }
    fig.appendChild(c);
    const cap = document.createElement("figcaption");
    cap.textContent = "t = " + m.t.toFixed(1) + " s, max |C| " + max.toPrecision(3);
    fig.appendChild(cap);
    box.appendChild(fig);
  }
})();
if (D.diagnostics.length) {
  const el = document.getElementById("plot-timing");
  new uPlot({ width: el.clientWidth || 560, height: 240, title: "execution time (ms, cumulative statistics)", scales: { x: { time: false } }, axes: [{ label: "s" }, {}],
    series: [{}, { label: "mean", stroke: palette[0] }, { label: "p99", stroke: palette[3] }] },
    [D.diagnostics.map((x) => x.t), D.diagnostics.map((x) => x.mean), D.diagnostics.map((x) => x.p99)], el);
}
</script>
</body></html>
`;
}

/** Writes the report of `file` to `out`; returns what it read. */
export async function writeReport(file: string, out: string): Promise<ReportData> {
  const data = await collectReport(file);
  fs.writeFileSync(out, renderReport(data));
  return data;
}
