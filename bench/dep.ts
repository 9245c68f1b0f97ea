/**
 * Per-step cost of `Dep.step` with learning active, on random-walk inputs from a seeded
 * generator. Steps are timed in batches long enough for the timer's resolution (a batch of one
 * step at large n); the median and 99th percentile are over batches, divided by the batch size.
 *
 * Alone: `node --import tsx bench/dep.ts [n ...]` (default n = 6 39 80 290).
 */
import { pathToFileURL } from "node:url";
import { Rng } from "../src/core/rng.js";
import { Dep } from "../src/dep/Dep.js";
import { type DepParams, resolveDepParams } from "../src/dep/params.js";

export interface BenchDepOptions {
  /** Parallel environments (default 1). */
  readonly envs?: number;
  /** Preset (default "default"). */
  readonly preset?: string;
  /** Parameter overrides. */
  readonly params?: Partial<DepParams>;
  /** Timed steps (default: about 0.5 s of work, at least 200). */
  readonly steps?: number;
  /** Untimed steps first, after the learning window has filled (default 2000). */
  readonly warmupSteps?: number;
  readonly seed?: number;
}

export interface BenchDepResult {
  readonly n: number;
  readonly envs: number;
  readonly medianUsPerStep: number;
  readonly p99UsPerStep: number;
  /** Steps timed together per sample. */
  readonly batchSize: number;
  readonly samples: number;
}

/** Distinct random-walk input vectors cycled through (pre-generated, so the timing is DEP's alone). */
const INPUT_POOL = 1024;

export function benchDep(n: number, opts: BenchDepOptions = {}): BenchDepResult {
  const envs = opts.envs ?? 1;
  const params = resolveDepParams({ preset: opts.preset, params: opts.params });
  const dep = new Dep(params, n, envs);
  const en = n * envs;

  const rng = new Rng(opts.seed ?? 1);
  const pool = new Float64Array(INPUT_POOL * en);
  const walk = new Float64Array(en);
  for (let i = 0; i < en; i++) walk[i] = rng.uniform(-1, 1);
  for (let s = 0; s < INPUT_POOL; s++) {
    for (let i = 0; i < en; i++) {
      // A random walk kept within [-1, 1], like normalized muscle states.
      let v = walk[i] + 0.05 * rng.normal();
      if (v > 1) v = 2 - v;
      else if (v < -1) v = -2 - v;
      walk[i] = v;
      pool[s * en + i] = v;
    }
  }
  const inputs: Float64Array[] = [];
  for (let s = 0; s < INPUT_POOL; s++) inputs.push(pool.subarray(s * en, (s + 1) * en));
  const out = new Float64Array(en);

  let k = 0;
  const warmup = params.tau + params.time_dist + 3 + (opts.warmupSteps ?? 2000);
  for (let s = 0; s < warmup; s++) {
    dep.step(inputs[k], out);
    k = (k + 1) % INPUT_POOL;
  }
  if (!dep.learning) throw new Error("benchDep: learning is not active after warm-up (with_learning false?)");

  // Batch size: enough steps for about 20 µs per sample.
  const probeStart = performance.now();
  const probeSteps = 200;
  for (let s = 0; s < probeSteps; s++) {
    dep.step(inputs[k], out);
    k = (k + 1) % INPUT_POOL;
  }
  const usPerStepGuess = Math.max(1e-3, ((performance.now() - probeStart) * 1000) / probeSteps);
  const batchSize = Math.max(1, Math.ceil(20 / usPerStepGuess));
  const steps = Math.max(200, opts.steps ?? Math.ceil(500_000 / usPerStepGuess));
  const samples = Math.max(1, Math.floor(steps / batchSize));

  const perStep = new Float64Array(samples);
  for (let b = 0; b < samples; b++) {
    const t0 = performance.now();
    for (let s = 0; s < batchSize; s++) {
      dep.step(inputs[k], out);
      k = (k + 1) % INPUT_POOL;
    }
    perStep[b] = ((performance.now() - t0) * 1000) / batchSize;
  }
  perStep.sort();
  const at = (q: number) => perStep[Math.min(samples - 1, Math.floor(q * samples))];
  return { n, envs, medianUsPerStep: at(0.5), p99UsPerStep: at(0.99), batchSize, samples };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const sizes = process.argv.slice(2).map(Number);
  for (const n of sizes.length > 0 ? sizes : [6, 39, 80, 290]) {
    const r = benchDep(n);
    console.log(
      `dep n=${String(r.n).padStart(3)}  median ${r.medianUsPerStep.toFixed(2).padStart(8)} µs/step  p99 ${r.p99UsPerStep.toFixed(2).padStart(8)} µs/step  (${r.samples} samples of ${r.batchSize} steps)`,
    );
  }
}
