import assert from "node:assert/strict";
import fc from "fast-check";
import { Dep } from "../../src/dep/Dep.js";
import { type DepParams, resolveDepParams } from "../../src/dep/params.js";
import { DirectDep, maxAbsDiff, maxRelDiff, randomWalk } from "./helpers.js";

function params(overrides: Partial<DepParams>): DepParams {
  return resolveDepParams({ params: overrides });
}

/** Runs `dep` over `inputs`, returning a copy of every output. */
function run(dep: Dep, inputs: readonly ArrayLike<number>[]): Float64Array[] {
  const out = new Float64Array(dep.envs * dep.n);
  return inputs.map((x) => dep.step(x, out).slice());
}

function close(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12, what = "values"): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/**
 * A case small enough to work by hand: n = 2, time_dist 1, tau 3 (a window of one product),
 * no smoothing, kappa 1, no bias. Velocities d_2 = x2 − x1 = (3, 4) and d_3 = x3 − x2 = (1, 2),
 * so at t = 4: C = −d_3·d_2ᵀ = −[[3, 4], [6, 8]], row norms 5 and 10, and x̄_4 = x4.
 */
const HAND_INPUTS = [
  [0, 0],
  [0, 0],
  [3, 4],
  [4, 6],
  [1, 1],
];
const HAND = { tau: 3, time_dist: 1, s4avg: 1, kappa: 1, bias_rate: -1, buffer_size: 10 } as const;

describe("Dep", () => {
  it("outputs exactly 0 until learning starts; the first non-zero action is at t = time_dist + 3", () => {
    for (const time_dist of [0, 1, 5, 12]) {
      const dep = new Dep(params({ time_dist }), 4);
      const outputs = run(dep, randomWalk(time_dist + 1, time_dist + 6, 4, 0.2));
      for (let t = 0; t < time_dist + 3; t++) assert.ok(outputs[t].every((v) => v === 0), `time_dist ${time_dist}: y at t = ${t}`);
      assert.ok(outputs[time_dist + 3].some((v) => v !== 0), `time_dist ${time_dist}: y at t = ${time_dist + 3}`);
      assert.equal(dep.t, time_dist + 6);
    }
  });

  it("reports when learning runs, and never learns with with_learning false", () => {
    const dep = new Dep(params({ time_dist: 2 }), 3);
    const out = new Float64Array(3);
    const inputs = randomWalk(5, 50, 3, 0.2);
    for (let t = 0; t < 4; t++) {
      dep.step(inputs[t], out);
      assert.equal(dep.learning, t >= 4, `t = ${t}`);
    }
    dep.step(inputs[4], out);
    assert.equal(dep.learning, true);

    const frozen = new Dep(params({ with_learning: false, bias_rate: 0.5 }), 3);
    for (const y of run(frozen, inputs)) assert.ok(y.every((v) => v === 0));
    assert.ok(frozen.cNorm().every((v) => v === 0));
    assert.ok(frozen.bias().every((v) => v === 0));
    assert.equal(frozen.learning, false);
  });

  it("smooths by an exponential average with divisor s4avg (off for s4avg <= 1)", () => {
    const seq = [[0], [4], [4], [4]];
    const smoothed = (s4avg: number) => {
      const dep = new Dep(params({ s4avg }), 1);
      const out = new Float64Array(1);
      return seq.map((x) => (dep.step(x, out), dep.smoothedInput()[0]));
    };
    assert.deepEqual(smoothed(2), [0, 2, 3, 3.5]);
    assert.deepEqual(smoothed(4), [0, 1, 1.75, 2.3125]);
    assert.deepEqual(smoothed(1), [0, 4, 4, 4]);
    assert.deepEqual(smoothed(0.5), [0, 4, 4, 4]);
    // The first input is taken as is, whatever s4avg.
    const dep = new Dep(params({ s4avg: 10 }), 1);
    dep.step([8], new Float64Array(1));
    assert.equal(dep.smoothedInput()[0], 8);
  });

  describe("normalization on a hand-worked case", () => {
    it('"independent", reference (column) application: C_norm[j][k] = C[j][k]·kappa/|C[k,:]|', () => {
      const dep = new Dep(params({ ...HAND, normalization_axis: "column" }), 2);
      const ys = run(dep, HAND_INPUTS);
      for (let t = 0; t < 4; t++) assert.deepEqual([...ys[t]], [0, 0], `t = ${t}`);
      close(dep.c(), [-3, -4, -6, -8], 0, "C");
      // factors 1/5 and 1/10 applied to columns 0 and 1
      close(dep.cNorm(), [-0.6, -0.4, -1.2, -0.8], 1e-15, "C_norm");
      // q = C_norm·(1, 1) = −(1, 2); q̂ = −(1, 2)/√5
      close(ys[4], [Math.tanh(-1 / Math.sqrt(5)), Math.tanh(-2 / Math.sqrt(5))], 1e-15, "y");
    });

    it('"independent", row application: C_norm[j][k] = C[j][k]·kappa/|C[j,:]|, a different action', () => {
      const dep = new Dep(params({ ...HAND, normalization_axis: "row" }), 2);
      const ys = run(dep, HAND_INPUTS);
      close(dep.cNorm(), [-0.6, -0.8, -0.6, -0.8], 1e-15, "C_norm");
      // q = −(1.4, 1.4); q̂ = −(1, 1)/√2
      close(ys[4], [Math.tanh(-1 / Math.sqrt(2)), Math.tanh(-1 / Math.sqrt(2))], 1e-15, "y");
      assert.ok(Math.abs(ys[4][1] - Math.tanh(-2 / Math.sqrt(5))) > 0.1);
    });

    it("kappa scales C_norm and the action's argument", () => {
      const dep = new Dep(params({ ...HAND, kappa: 2 }), 2);
      const ys = run(dep, HAND_INPUTS);
      close(dep.cNorm(), [-1.2, -0.8, -2.4, -1.6], 1e-15, "C_norm");
      close(ys[4], [Math.tanh(-2 / Math.sqrt(5)), Math.tanh(-4 / Math.sqrt(5))], 1e-15, "y");
    });

    it('"global": C_norm = kappa·C/‖C‖_F', () => {
      const dep = new Dep(params({ ...HAND, normalization: "global", q_norm_selector: "none" }), 2);
      const ys = run(dep, HAND_INPUTS);
      const f = 1 / (5 * Math.sqrt(5)); // ‖C‖_F = |d_3|·|d_2| = √5·5
      close(dep.cNorm(), [-3 * f, -4 * f, -6 * f, -8 * f], 1e-15, "C_norm");
      close(ys[4], [Math.tanh(-7 * f), Math.tanh(-14 * f)], 1e-15, "y");
    });

    it('"global" takes one norm over all environments; "independent" normalizes each on its own', () => {
      // Environment 1 sees twice environment 0's inputs: C_1 = 4·C_0.
      const inputs = HAND_INPUTS.map(([a, b]) => [a, b, 2 * a, 2 * b]);
      const global = new Dep(params({ ...HAND, normalization: "global" }), 2, 2);
      run(global, inputs);
      const f = 1 / (Math.sqrt(17) * 5 * Math.sqrt(5)); // sqrt(‖C_0‖² + ‖4·C_0‖²) = √17·‖C_0‖
      close(global.cNorm(), [-3 * f, -4 * f, -6 * f, -8 * f, -12 * f, -16 * f, -24 * f, -32 * f], 1e-15, "global C_norm");

      const independent = new Dep(params(HAND), 2, 2);
      run(independent, inputs);
      close(independent.cNorm(), [-0.6, -0.4, -1.2, -0.8, -0.6, -0.4, -1.2, -0.8], 1e-15, "independent C_norm");
      close(independent.c(), [-3, -4, -6, -8, -12, -16, -24, -32], 0, "C");
    });

    it('"none": C_norm = C', () => {
      const inputs = HAND_INPUTS.map((x, t) => (t === 4 ? [0.01, 0.01] : x));
      const dep = new Dep(params({ ...HAND, normalization: "none", q_norm_selector: "none" }), 2);
      const ys = run(dep, inputs);
      close(dep.cNorm(), [-3, -4, -6, -8], 0, "C_norm");
      close(ys[4], [Math.tanh(-0.07), Math.tanh(-0.14)], 1e-15, "y");
    });
  });

  it('q-norm: "l2" divides q by its length, "max" by its largest magnitude, "none" leaves it', () => {
    const y = (q_norm_selector: DepParams["q_norm_selector"]) => run(new Dep(params({ ...HAND, q_norm_selector }), 2), HAND_INPUTS)[4];
    // q = −(1, 2) in the column-normalized case
    close(y("l2"), [Math.tanh(-1 / Math.sqrt(5)), Math.tanh(-2 / Math.sqrt(5))], 1e-15, "l2");
    close(y("max"), [Math.tanh(-0.5), Math.tanh(-1)], 1e-15, "max");
    close(y("none"), [Math.tanh(-1), Math.tanh(-2)], 1e-15, "none");
  });

  describe("bias", () => {
    /** Steps DEP, checking h_t = h_{t−1} − clip(bias_rate·y_{t−1}, ±0.05) − 0.001·h_{t−1} on learning steps. */
    function checkBiasRule(bias_rate: number): { clipped: number; unclipped: number } {
      const p = params({ bias_rate, time_dist: 3, tau: 10 });
      const dep = new Dep(p, 4, 2);
      const out = new Float64Array(8);
      let prevY: Float64Array = new Float64Array(8);
      let prevH: Float64Array = new Float64Array(8);
      let clipped = 0;
      let unclipped = 0;
      for (const [t, x] of randomWalk(11, 300, 8, 0.1).entries()) {
        dep.step(x, out);
        const h = dep.bias();
        for (let i = 0; i < 8; i++) {
          let expected = 0;
          if (t >= p.time_dist + 2 && bias_rate >= 0) {
            const raw = bias_rate * prevY[i];
            const step = Math.max(-0.05, Math.min(0.05, raw));
            if (step !== raw) clipped++;
            else if (raw !== 0) unclipped++;
            expected = prevH[i] - step - 0.001 * prevH[i];
          }
          assert.ok(Math.abs(h[i] - expected) <= 1e-15, `bias_rate ${bias_rate}, t = ${t}, i = ${i}: ${h[i]} vs ${expected}`);
        }
        prevY = out.slice();
        prevH = h;
      }
      return { clipped, unclipped };
    }

    it("follows h ← h − clip(bias_rate·y_prev, ±0.05) − 0.001·h with DEP's own previous output", () => {
      const large = checkBiasRule(1);
      assert.ok(large.clipped > 100, "the clip at ±0.05 is exercised");
      const small = checkBiasRule(0.01);
      assert.equal(small.clipped, 0);
      assert.ok(small.unclipped > 100);
    });

    it("is 0 for bias_rate < 0, and a bias of 0 changes nothing", () => {
      checkBiasRule(-0.5);
      const a = run(new Dep(params({ bias_rate: -1 }), 3), randomWalk(2, 100, 3));
      const b = run(new Dep(params({ bias_rate: 0 }), 3), randomWalk(2, 100, 3));
      assert.deepEqual(a, b);
    });

    it("stays 0 on the first learning steps (y_prev = 0), then moves against the previous output", () => {
      // Hand case: at t = 3 (first learning step) y_2 = 0, so h stays 0; at t = 4 y_3 = 0 too
      // (C was 0 at t = 3); at t = 5, h = −clip(rate·y_4).
      const dep = new Dep(params({ ...HAND, bias_rate: 1 }), 2);
      const ys = run(dep, HAND_INPUTS);
      close(dep.bias(), [0, 0], 0, "h after t = 4");
      dep.step([1, 1], new Float64Array(2));
      close(dep.bias(), [-Math.max(-0.05, ys[4][0]), -Math.max(-0.05, ys[4][1])], 0, "h after t = 5");
      assert.deepEqual([...dep.bias()], [0.05, 0.05]); // y_4 < −0.05 in both muscles
    });
  });

  it("reaches near bang-bang outputs on an oscillating input", () => {
    const n = 6;
    const dep = new Dep(params({}), n);
    const out = new Float64Array(n);
    let saturated = 0;
    let total = 0;
    for (let t = 0; t < 600; t++) {
      const x = Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * t) / 40 + i));
      dep.step(x, out);
      if (t >= 100) {
        for (const v of out) {
          total++;
          if (Math.abs(v) > 0.99) saturated++;
        }
      }
    }
    assert.ok(saturated / total > 0.9, `fraction |y| > 0.99: ${saturated / total}`);
  });

  describe("running window sum", () => {
    it("equals a direct re-sum over the window after 2000 steps (within 1e-9)", () => {
      for (const [tau, time_dist, s4avg, envs] of [
        [20, 5, 2, 1],
        [7, 0, 1, 2],
        [33, 12, 3, 3],
      ]) {
        const p = params({ tau, time_dist, s4avg, buffer_size: tau + time_dist + 1 });
        const dep = new Dep(p, 5, envs);
        const direct = new DirectDep(p, 5, envs);
        const out = new Float64Array(5 * envs);
        const inputs = randomWalk(tau, 2000 + tau, 5 * envs);
        for (const [t, x] of inputs.entries()) {
          dep.step(x, out);
          direct.step(x);
          // Check a stretch of consecutive steps (every phase of the shadow sum) and the end.
          if ((t >= 1000 && t < 1000 + tau) || t === inputs.length - 1) {
            const err = maxAbsDiff(dep.c(), direct.windowSum());
            assert.ok(err <= 1e-9, `tau ${tau}, time_dist ${time_dist}, t = ${t}: |C − direct| = ${err}`);
          }
        }
        assert.ok(maxAbsDiff(direct.windowSum(), new Float64Array(25 * envs)) > 1e-3, "C is not trivially zero");
      }
    });

    it("does not keep cancellation residue once a large transient has left the window", () => {
      // Inputs jump by up to 5e4 for a few ticks, then move by 1e-4: the running sum's rounding
      // residue from the transient would dwarf the true C if it were never rebuilt.
      const p = params({ tau: 20, time_dist: 3, s4avg: 1 });
      const n = 5;
      const dep = new Dep(p, n);
      const direct = new DirectDep(p, n);
      const out = new Float64Array(n);
      const inputs = randomWalk(3, 400, n, 1e-4);
      for (const [t, x] of inputs.entries()) {
        if (t >= 100 && t < 104) for (let i = 0; i < n; i++) x[i] += 1e4 * (i + 1) * (t - 101);
        dep.step(x, out);
        direct.step(x);
        if (t >= 100 + 3 * p.tau) {
          const exact = direct.windowSum();
          const scale = Math.max(...exact.map(Math.abs));
          const err = maxAbsDiff(dep.c(), exact);
          assert.ok(err <= 1e-9 * scale, `t = ${t}: error ${err} against |C| ${scale}`);
        }
      }
    });
  });

  it("matches the direct implementation for random parameters and inputs", () => {
    fc.assert(
      fc.property(
        fc.record({
          kappa: fc.double({ min: 0.1, max: 2000, noNaN: true }),
          tau: fc.integer({ min: 3, max: 12 }),
          time_dist: fc.integer({ min: 0, max: 6 }),
          s4avg: fc.constantFrom(0, 1, 2, 3.5),
          bias_rate: fc.constantFrom(-1, 0, 2e-5, 0.03, 2),
          normalization: fc.constantFrom("independent", "global", "none"),
          normalization_axis: fc.constantFrom("column", "row"),
          q_norm_selector: fc.constantFrom("l2", "max", "none"),
        }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 1000 }),
        (overrides, n, envs, seed) => {
          const p = params({ ...overrides, buffer_size: overrides.tau + overrides.time_dist + 1 + (seed % 3) } as Partial<DepParams>);
          const dep = new Dep(p, n, envs);
          const direct = new DirectDep(p, n, envs);
          const out = new Float64Array(n * envs);
          for (const x of randomWalk(seed, 80, n * envs, 0.1)) {
            dep.step(x, out);
            const expected = direct.step(x);
            assert.ok(maxAbsDiff(out, expected) <= 1e-9, `y at t = ${dep.t - 1}: ${[...out]} vs ${[...expected]}`);
          }
          assert.ok(maxRelDiff(dep.cNorm(), direct.cNorm) <= 1e-9);
          assert.ok(maxAbsDiff(dep.bias(), direct.bias) <= 1e-12);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });

  it("keeps outputs finite and within [-1, 1] for any finite input (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          kappa: fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
          tau: fc.integer({ min: 3, max: 10 }),
          time_dist: fc.integer({ min: 0, max: 4 }),
          s4avg: fc.double({ min: 0, max: 8, noNaN: true }),
          bias_rate: fc.double({ min: -1, max: 10, noNaN: true }),
          regularization: fc.double({ min: 0, max: 40, noNaN: true }),
          normalization: fc.constantFrom("independent", "global", "none"),
          normalization_axis: fc.constantFrom("column", "row"),
          q_norm_selector: fc.constantFrom("l2", "max", "none"),
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 40 }),
        (overrides, n, rows) => {
          const p = params({ ...overrides, buffer_size: overrides.tau + overrides.time_dist + 1 } as Partial<DepParams>);
          const envs = 2;
          const dep = new Dep(p, n, envs);
          const out = new Float64Array(n * envs);
          for (const row of rows) {
            dep.step(row.slice(0, n * envs), out);
            for (const v of out) assert.ok(Number.isFinite(v) && v >= -1 && v <= 1, `output ${v}`);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it("reset forgets everything; a reset controller repeats its first run exactly", () => {
    const dep = new Dep(params({}), 3, 2);
    const inputs = randomWalk(9, 120, 6);
    const first = run(dep, inputs);
    dep.reset();
    assert.equal(dep.t, 0);
    assert.ok(dep.cNorm().every((v) => v === 0));
    assert.ok(dep.bias().every((v) => v === 0));
    assert.deepEqual(run(dep, inputs), first);
  });

  it("rejects wrong sizes before changing any state, and copies what it hands out", () => {
    assert.throws(() => new Dep(params({}), 0), /n \(muscles\) must be an integer >= 1/);
    assert.throws(() => new Dep({ ...params({}), buffer_size: 10 }, 3), /buffer_size \(10\) must be >= tau \+ time_dist \+ 1 = 26/);
    const dep = new Dep(params({}), 3, 2);
    assert.throws(() => dep.step([1, 2, 3], new Float64Array(6)), /input has 3 values, expected envs·n = 2·3 = 6/);
    assert.throws(() => dep.step(new Float64Array(6), new Float64Array(3)), /output has 3 values, expected 6/);
    assert.equal(dep.t, 0);
    run(dep, randomWalk(4, 60, 6));
    const m = dep.cNorm();
    m.fill(123);
    assert.notEqual(dep.cNorm()[0], 123);
    const h = dep.bias();
    h.fill(9);
    assert.notEqual(dep.bias()[0], 9);
    // The output may be written over the input.
    const x = Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const copy = new Dep(params({}), 3, 2);
    run(copy, randomWalk(4, 60, 6));
    const expected = copy.step(x.slice(), new Float64Array(6));
    assert.deepEqual(dep.step(x, x), expected);
  });
});
