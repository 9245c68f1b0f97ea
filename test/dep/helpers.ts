/**
 * Test helpers for DEP: fixture loading, seeded inputs, and a direct (slow, literal) DEP that
 * re-sums the whole window every step, written from the spec, to check the fast `Dep` against.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Rng } from "../../src/core/rng.js";
import type { DepParams } from "../../src/dep/params.js";

/** The repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Reference fixtures, beside the repository: ../shared/data/dep-reference from the root. */
export const FIXTURE_DIR = path.resolve(REPO_ROOT, "../shared/data/dep-reference");

export interface DepFixture {
  readonly params: Record<string, unknown>;
  readonly inputs: number[][] | number[][][];
  readonly outputs: number[][][];
  readonly final_C_norm: number[][][];
  readonly final_bias: number[][];
  readonly final_t: number;
}

export function loadFixture(name: string): DepFixture {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, name), "utf8")) as DepFixture;
}

/** T input vectors of length `len`: a random walk per component (step `stepSize`), seeded. */
export function randomWalk(seed: number, steps: number, len: number, stepSize = 0.05): Float64Array[] {
  const rng = new Rng(seed);
  const x = new Float64Array(len);
  for (let i = 0; i < len; i++) x[i] = rng.uniform(-1, 1);
  const result: Float64Array[] = [];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < len; i++) x[i] += stepSize * rng.normal();
    result.push(x.slice());
  }
  return result;
}

/** The DEP step exactly as the spec states it, with a full buffer and a fresh window sum each step. */
export class DirectDep {
  readonly buffer: { x: Float64Array; y: Float64Array | null }[] = [];
  xs: Float64Array | null = null;
  t = 0;
  readonly c: Float64Array;
  readonly cNorm: Float64Array;
  readonly bias: Float64Array;

  constructor(
    readonly p: DepParams,
    readonly n: number,
    readonly envs = 1,
  ) {
    this.c = new Float64Array(envs * n * n);
    this.cNorm = new Float64Array(envs * n * n);
    this.bias = new Float64Array(envs * n);
  }

  step(x: ArrayLike<number>): Float64Array {
    const { p, n, envs } = this;
    const en = n * envs;
    if (this.xs === null || !(p.s4avg > 1) || this.t === 0) this.xs = Float64Array.from(x);
    else for (let i = 0; i < en; i++) this.xs[i] += (x[i] - this.xs[i]) / p.s4avg;
    this.buffer.push({ x: this.xs.slice(), y: null });
    if (this.buffer.length > p.buffer_size) this.buffer.shift();
    if (p.with_learning && this.buffer.length > 2 + p.time_dist) this.learn();
    const y = this.act();
    this.buffer[this.buffer.length - 1].y = y;
    this.t++;
    return y;
  }

  /** The window sum over the buffer, as the spec writes it (s from 2 to S − 1). */
  windowSum(): Float64Array {
    const { p, n, envs } = this;
    const b = (k: number) => this.buffer[this.buffer.length - k].x;
    const c = new Float64Array(envs * n * n);
    const theta = p.time_dist;
    for (let s = 2; s < Math.min(this.t - theta, p.tau); s++) {
      const x0 = b(s);
      const x1 = b(s + 1);
      const x2 = theta === 0 ? x0 : b(s + theta);
      const x3 = b(s + 1 + theta);
      for (let e = 0; e < envs; e++) {
        for (let j = 0; j < n; j++) {
          const mu = -(x0[e * n + j] - x1[e * n + j]);
          for (let k = 0; k < n; k++) c[(e * n + j) * n + k] += mu * (x2[e * n + k] - x3[e * n + k]);
        }
      }
    }
    return c;
  }

  learn(): void {
    const { p, n, envs } = this;
    this.c.set(this.windowSum());
    const reg = Math.pow(10, -p.regularization);
    if (p.normalization === "independent") {
      for (let e = 0; e < envs; e++) {
        const f = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          let ss = 0;
          for (let m = 0; m < n; m++) ss += this.c[(e * n + k) * n + m] ** 2;
          f[k] = p.kappa / (Math.sqrt(ss) + reg);
        }
        for (let j = 0; j < n; j++) {
          for (let k = 0; k < n; k++) {
            const idx = (e * n + j) * n + k;
            this.cNorm[idx] = this.c[idx] * (p.normalization_axis === "row" ? f[j] : f[k]);
          }
        }
      }
    } else if (p.normalization === "global") {
      let ss = 0;
      for (const v of this.c) ss += v * v;
      for (let i = 0; i < this.c.length; i++) this.cNorm[i] = (this.c[i] * p.kappa) / (Math.sqrt(ss) + reg);
    } else {
      this.cNorm.set(this.c);
    }
    if (p.bias_rate >= 0) {
      const yy = this.buffer[this.buffer.length - 2].y as Float64Array;
      for (let i = 0; i < this.bias.length; i++) {
        this.bias[i] -= Math.min(0.05, Math.max(-0.05, yy[i] * p.bias_rate)) + this.bias[i] * 0.001;
      }
    } else {
      this.bias.fill(0);
    }
  }

  act(): Float64Array {
    const { p, n, envs } = this;
    const xs = this.xs as Float64Array;
    const reg = Math.pow(10, -p.regularization);
    const y = new Float64Array(envs * n);
    for (let e = 0; e < envs; e++) {
      const q = new Float64Array(n);
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) q[j] += this.cNorm[(e * n + j) * n + k] * xs[e * n + k];
      let scale = 1;
      if (p.q_norm_selector === "l2") scale = 1 / (Math.hypot(...q) + reg);
      else if (p.q_norm_selector === "max") scale = 1 / (Math.max(...q.map(Math.abs)) + reg);
      for (let j = 0; j < n; j++) y[e * n + j] = Math.max(-1, Math.min(1, Math.tanh(q[j] * scale * p.kappa + this.bias[e * n + j])));
    }
    return y;
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** max |a − b| / max(1, |b|) */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}
