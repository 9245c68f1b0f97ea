import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { ColoredNoise } from "../../src/planning/ColoredNoise.js";

/** Many sequences of one noise source: [count x length]. */
function draw(beta: number, length: number, count: number, seed = 1): Float64Array {
  const noise = new ColoredNoise(beta, length);
  const rng = new Rng(seed);
  const out = new Float64Array(count * length);
  for (let i = 0; i < count; i++) noise.sample(rng, out, i * length);
  return out;
}

/**
 * The variance the reference construction (colorednoise.powerlaw_psd_gaussian, as iCEM and CEE-US
 * use it) has, from its spectrum: DC and Nyquist real with √2, the rest complex, divided by σ².
 * Timmer-König's σ leaves the DC term out, so it is 1 only for white noise (about 1.15-1.45 for
 * β 1-3.5 at n = 30).
 */
function expectedVariance(beta: number, n: number): number {
  const nf = Math.floor(n / 2) + 1;
  const s = Array.from({ length: nf }, (_, k) => Math.max(k / n, 1 / n) ** (-beta / 2));
  let w2 = 0;
  for (let k = 1; k < nf; k++) w2 += (k === nf - 1 ? (s[k] * (1 + (n % 2))) / 2 : s[k]) ** 2;
  const sigma2 = (4 * w2) / (n * n);
  let v = 2 * s[0] ** 2;
  for (let k = 1; k < nf; k++) v += n % 2 === 0 && k === nf - 1 ? 2 * s[k] ** 2 : 4 * s[k] ** 2;
  return v / (n * n) / sigma2;
}

/** Mean periodogram per frequency k = 1..n/2 (plain DFT, for the test only). */
function spectrum(x: Float64Array, length: number): number[] {
  const count = x.length / length;
  const p: number[] = [];
  for (let k = 1; k <= length / 2; k++) {
    let acc = 0;
    for (let i = 0; i < count; i++) {
      let re = 0;
      let im = 0;
      for (let t = 0; t < length; t++) {
        re += x[i * length + t] * Math.cos((2 * Math.PI * k * t) / length);
        im -= x[i * length + t] * Math.sin((2 * Math.PI * k * t) / length);
      }
      acc += re * re + im * im;
    }
    p.push(acc / count);
  }
  return p;
}

/** Least-squares slope of log power against log frequency. */
function logSlope(p: number[], length: number): number {
  const xs = p.map((_, i) => Math.log((i + 1) / length));
  const ys = p.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return num / den;
}

describe("ColoredNoise", () => {
  for (const beta of [0, 1, 2, 3.5]) {
    it(`has the reference's variance and a 1/f^${beta} spectrum (n = 32)`, () => {
      const n = 32;
      const x = draw(beta, n, 4000);
      let v = 0;
      for (const a of x) v += a * a;
      v /= x.length;
      const want = beta === 0 ? 1 : expectedVariance(beta, n);
      assert.ok(Math.abs(v / want - 1) < 0.06, `variance ${v}, expected ${want}`);
      assert.ok(want < 1.6, "Timmer-König keeps the variance near 1");
      const slope = logSlope(spectrum(x, n), n);
      assert.ok(Math.abs(slope + beta) < 0.25, `slope ${slope} for beta ${beta}`);
    });
  }

  it("works for odd lengths and writes strided (one action dimension of an H x d block)", () => {
    const n = 15;
    const d = 3;
    const noise = new ColoredNoise(2, n);
    const out = new Float32Array(n * d).fill(Number.NaN);
    noise.sample(new Rng(5), out, 1, d);
    for (let t = 0; t < n; t++) {
      assert.ok(Number.isNaN(out[t * d]) && Number.isNaN(out[t * d + 2]), "other dimensions untouched");
      assert.ok(Number.isFinite(out[t * d + 1]));
    }
    const x = draw(2, n, 4000);
    let v = 0;
    for (const a of x) v += a * a;
    assert.ok(Math.abs(v / x.length / expectedVariance(2, n) - 1) < 0.06);
  });

  it("is smoother for larger beta: lag-1 correlation grows with beta", () => {
    const lag1 = (beta: number): number => {
      const n = 30;
      const x = draw(beta, n, 2000, 9);
      let c = 0;
      let v = 0;
      for (let i = 0; i < 2000; i++) {
        for (let t = 0; t + 1 < n; t++) {
          c += x[i * n + t] * x[i * n + t + 1];
          v += x[i * n + t] ** 2;
        }
      }
      return c / v;
    };
    const r = [0, 1, 2, 3].map(lag1);
    assert.ok(Math.abs(r[0]) < 0.05, `white lag-1 ${r[0]}`);
    for (let i = 1; i < r.length; i++) assert.ok(r[i] > r[i - 1] + 0.05, `lag-1 ${r.join(", ")}`);
  });

  it("rejects a negative exponent or an empty length", () => {
    assert.throws(() => new ColoredNoise(-1, 10), /beta must be/);
    assert.throws(() => new ColoredNoise(1, 0), /length must be/);
  });
});
