import assert from "node:assert/strict";
import { Rng } from "../../src/core/rng.js";
import { OuNoise } from "../../src/learner/explorations/OuNoise.js";
import { createExploration } from "../../src/learner/explorations/createExploration.js";
import { resolveDepParams } from "../../src/dep/params.js";
import type { StepContext } from "../../src/learner/explorations/Exploration.js";

function ctx(noiseSeen: number[][]): StepContext {
  return {
    observations: new Float64Array(1),
    muscleStates: new Float64Array(1),
    steps: 0,
    greedyEpisode: false,
    policy: () => assert.fail("the OU exploration must not use the white-noise sampler"),
    policyWithNoise: (noise, out) => {
      noiseSeen.push(Array.from(noise));
      for (let i = 0; i < out.length; i++) out[i] = 0.1 + 0.5 * noise[i];
    },
  };
}

describe("OU (colored) exploration noise", () => {
  it("has unit variance and lag-1 correlation exp(-1/tau) per entry, and passes mean + std·z through", () => {
    const ou = new OuNoise(2, 10, new Rng(4));
    const seen: number[][] = [];
    const out = new Float64Array(2);
    const c = ctx(seen);
    const n = 40_000;
    for (let t = 0; t < n; t++) {
      assert.equal(ou.act(c, out), "policy");
      assert.ok(Math.abs(out[0] - (0.1 + 0.5 * seen[t][0])) < 1e-12);
    }
    const x = seen.map((s) => s[0]);
    const m = x.reduce((a, b) => a + b, 0) / n;
    const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / n;
    let c1 = 0;
    for (let t = 1; t < n; t++) c1 += (x[t] - m) * (x[t - 1] - m);
    c1 /= (n - 1) * v;
    assert.ok(Math.abs(v - 1) < 0.1, `variance ${v}`);
    assert.ok(Math.abs(c1 - Math.exp(-0.1)) < 0.02, `lag-1 correlation ${c1}`);
    // The entries are independent of each other.
    const y = seen.map((s) => s[1]);
    let cxy = 0;
    for (let t = 0; t < n; t++) cxy += (x[t] - m) * y[t];
    assert.ok(Math.abs(cxy / n) < 0.1);
  });

  it("a restored state continues the same noise sequence", () => {
    const a = new OuNoise(3, 5, new Rng(9));
    const out = new Float64Array(3);
    const seenA: number[][] = [];
    for (let t = 0; t < 50; t++) a.act(ctx(seenA), out);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = new OuNoise(3, 5, new Rng(123));
    b.load(saved);
    const nextA: number[][] = [];
    const nextB: number[][] = [];
    for (let t = 0; t < 20; t++) {
      a.act(ctx(nextA), out);
      b.act(ctx(nextB), out);
    }
    assert.deepEqual(nextB, nextA);
  });

  it("is built by createExploration as mode rl-ou, and rejects a non-positive correlation time", () => {
    const built = createExploration({ mode: "rl-ou", depParams: resolveDepParams(), muscles: 6, envs: 2, preTrainingSteps: 0, seed: 1, ouCorrelationSteps: 4 });
    assert.equal(built.exploration.mode, "rl-ou");
    assert.equal(built.dep, undefined);
    assert.ok(Math.abs((built.exploration as OuNoise).rho - Math.exp(-0.25)) < 1e-12);
    assert.throws(() => new OuNoise(2, 0, new Rng(1)), /ou_correlation_steps must be > 0/);
  });

  it("dep-rl-ou: DEP's schedule as dep-rl, the policy's steps (greedy episodes too) sampled with OU noise; its state restores both", () => {
    const muscles = 2;
    const build = () => createExploration({ mode: "dep-rl-ou", depParams: resolveDepParams(), muscles, envs: 1, preTrainingSteps: 10, seed: 3, ouCorrelationSteps: 10 });
    const white = createExploration({ mode: "dep-rl", depParams: resolveDepParams(), muscles, envs: 1, preTrainingSteps: 10, seed: 3 });
    const built = build();
    assert.equal(built.exploration.mode, "dep-rl-ou");
    assert.ok(built.dep && built.testEpisodeEvery === white.testEpisodeEvery);
    const run = (e: typeof built.exploration, from: number, to: number, seen: number[][]): string[] => {
      const actors: string[] = [];
      const out = new Float64Array(muscles);
      for (let t = from; t < to; t++) {
        const c: StepContext = { ...ctx(seen), muscleStates: Float64Array.from({ length: muscles }, (_, i) => Math.sin(0.1 * t + i)), steps: t, greedyEpisode: t >= 1500 && t < 1550 };
        actors.push(e.act(c, out));
      }
      return actors;
    };
    const seen: number[][] = [];
    const actors = run(built.exploration, 0, 3000, seen);
    // The same switch as dep-rl (same seed): DEP alone first, then interventions at the same steps.
    const whiteActors: string[] = [];
    const out = new Float64Array(muscles);
    for (let t = 0; t < 3000; t++) {
      const c: StepContext = { ...ctx([]), muscleStates: Float64Array.from({ length: muscles }, (_, i) => Math.sin(0.1 * t + i)), steps: t, greedyEpisode: t >= 1500 && t < 1550, policy: (o) => o.fill(0) };
      whiteActors.push(white.exploration.act(c, out));
    }
    assert.deepEqual(actors, whiteActors);
    assert.ok(actors.slice(0, 11).every((a) => a === "dep"));
    assert.ok(actors.includes("dep", 11) && actors.filter((a) => a === "policy").length === seen.length);
    // Correlated: successive noise samples of the policy's steps are close (lag-1 correlation near exp(-0.1)).
    const x = seen.map((s) => s[0]);
    let num = 0;
    let den = 0;
    for (let t = 1; t < x.length; t++) num += x[t] * x[t - 1];
    for (const v of x) den += v * v;
    assert.ok(num / den > 0.8, `lag-1 correlation ${num / den}`);
    // Checkpoint: switch and noise continue as uninterrupted.
    const a = build().exploration;
    run(a, 0, 2000, []);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = build().exploration;
    b.load(saved);
    const nextA: number[][] = [];
    const nextB: number[][] = [];
    assert.deepEqual(run(b, 2000, 2600, nextB), run(a, 2000, 2600, nextA));
    assert.deepEqual(nextB, nextA);
  });
});
