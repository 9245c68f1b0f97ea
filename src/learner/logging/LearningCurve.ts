/**
 * The learning curve as CSV and as an SVG line plot written here (no plotting dependency):
 * one or more series of (x, y) points with an optional band (min..max over seeds), axes with
 * round ticks, a legend. Good enough to read a result at a glance and to put in the docs.
 */
import type { CurveRow } from "../Trainer.js";

export const CURVE_COLUMNS: readonly (keyof CurveRow)[] = [
  "steps",
  "episodes",
  "updates",
  "trainReturn",
  "trainSuccess",
  "testReturn",
  "testSuccess",
  "testDistanceM",
  "depShare",
  "updatesPerSec",
  "stepsPerSec",
  "wallSec",
];

export function curveCsv(rows: readonly CurveRow[]): string {
  const fmt = (v: number): string => (Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : "");
  return `${CURVE_COLUMNS.join(",")}\n${rows.map((r) => CURVE_COLUMNS.map((c) => fmt(r[c] ?? NaN)).join(",")).join("\n")}\n`;
}

export interface PlotSeries {
  readonly label: string;
  readonly color: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** Optional band around the line (same length as x). */
  readonly lo?: readonly number[];
  readonly hi?: readonly number[];
}

export interface PlotOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
}

function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmtTick(v: number, step: number): string {
  if (Math.abs(v) >= 1000 && step >= 1000) return `${+(v / 1000).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1000))))}k`;
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return v.toFixed(digits);
}

/** An SVG line plot of the series. Non-finite points are skipped. */
export function linePlotSvg(series: readonly PlotSeries[], options: PlotOptions): string {
  const W = options.width ?? 720;
  const H = options.height ?? 420;
  const m = { l: 70, r: 20, t: 40, b: 55 };
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    s.x.forEach((x, i) => {
      for (const y of [s.y[i], s.lo?.[i], s.hi?.[i]]) {
        if (Number.isFinite(x) && y !== undefined && Number.isFinite(y)) {
          xs.push(x);
          ys.push(y);
        }
      }
    });
  }
  let x0 = xs.length ? Math.min(...xs) : 0;
  let x1 = xs.length ? Math.max(...xs) : 1;
  let y0 = ys.length ? Math.min(...ys) : 0;
  let y1 = ys.length ? Math.max(...ys) : 1;
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const xStep = niceStep(x1 - x0, 6);
  const yStep = niceStep(y1 - y0, 6);
  x0 = Math.floor(x0 / xStep) * xStep;
  x1 = Math.ceil(x1 / xStep) * xStep;
  y0 = Math.floor(y0 / yStep) * yStep;
  y1 = Math.ceil(y1 / yStep) * yStep;
  const px = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number): number => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(options.title)}</text>`);
  for (let v = x0; v <= x1 + xStep / 2; v += xStep) {
    const x = px(v).toFixed(1);
    parts.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x}" y="${H - m.b + 18}" text-anchor="middle">${fmtTick(v, xStep)}</text>`);
  }
  for (let v = y0; v <= y1 + yStep / 2; v += yStep) {
    const y = py(v).toFixed(1);
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 8}" y="${(+y + 4).toFixed(1)}" text-anchor="end">${fmtTick(v, yStep)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  series.forEach((s, k) => {
    if (s.lo && s.hi) {
      const top: string[] = [];
      const bottom: string[] = [];
      s.x.forEach((x, i) => {
        if (Number.isFinite(x) && Number.isFinite(s.lo![i]) && Number.isFinite(s.hi![i])) {
          top.push(`${px(x).toFixed(1)},${py(s.hi![i]).toFixed(1)}`);
          bottom.unshift(`${px(x).toFixed(1)},${py(s.lo![i]).toFixed(1)}`);
        }
      });
      if (top.length > 1) parts.push(`<polygon points="${[...top, ...bottom].join(" ")}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const pts = s.x.map((x, i) => (Number.isFinite(x) && Number.isFinite(s.y[i]) ? `${px(x).toFixed(1)},${py(s.y[i]).toFixed(1)}` : "")).filter(Boolean);
    if (pts.length > 0) parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    const ly = m.t + 16 + k * 18;
    parts.push(`<line x1="${m.l + 12}" y1="${ly - 4}" x2="${m.l + 36}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${m.l + 42}" y="${ly}">${esc(s.label)}</text>`);
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
