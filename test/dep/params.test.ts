import assert from "node:assert/strict";
import {
  DEP_DEFAULTS,
  DEP_PARAM_NAMES,
  DEP_PRESETS,
  DepParamsError,
  depParamsSchema,
  resolveDepParams,
} from "../../src/dep/params.js";

function errorOf(fn: () => unknown): DepParamsError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DepParamsError, `expected a DepParamsError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an error");
}

describe("dep/params", () => {
  it("defaults are the reference defaults from the spec", () => {
    const p = resolveDepParams();
    assert.equal(p.kappa, 100);
    assert.equal(p.tau, 20);
    assert.equal(p.bias_rate, 2e-5);
    assert.equal(p.time_dist, 5);
    assert.equal(p.normalization, "independent");
    assert.equal(p.normalization_axis, "column");
    assert.equal(p.s4avg, 2);
    assert.equal(p.buffer_size, 200);
    assert.equal(p.regularization, 32);
    assert.equal(p.with_learning, true);
    assert.equal(p.q_norm_selector, "l2");
    assert.equal(p.force_scale, 0);
    assert.ok(depParamsSchema.safeParse(DEP_DEFAULTS).success);
  });

  it("presets hold the configs' values on top of the defaults", () => {
    const m = DEP_PRESETS.myosuite;
    assert.deepEqual([m.kappa, m.tau, m.bias_rate, m.time_dist, m.s4avg, m.buffer_size], [1169.7, 40, 0.002, 5, 2, 200]);
    assert.equal(m.intervention_length, 5);
    assert.equal(m.intervention_proba, 0.0004);
    const h = DEP_PRESETS.humanreacher;
    assert.deepEqual([h.kappa, h.tau, h.time_dist, h.s4avg, h.buffer_size, h.force_scale], [1000, 80, 60, 6, 600, 0.04]);
    const o = DEP_PRESETS.ostrich;
    assert.deepEqual([o.kappa, o.tau, o.bias_rate, o.s4avg, o.buffer_size], [20, 8, 0.03, 1, 90]);
    for (const preset of Object.values(DEP_PRESETS)) {
      assert.ok(preset.buffer_size >= preset.tau + preset.time_dist + 1);
      assert.equal(preset.q_norm_selector, "l2");
    }
  });

  it("applies the preset, then the overrides", () => {
    const p = resolveDepParams({ preset: "myosuite", params: { tau: 30, normalization_axis: "row" } });
    assert.equal(p.kappa, 1169.7);
    assert.equal(p.tau, 30);
    assert.equal(p.normalization_axis, "row");
    assert.ok(Object.isFrozen(p));
  });

  it("accepts a DEP block copied from a reference config as is", () => {
    const block = {
      test_episode_every: 3,
      kappa: 1169.7,
      tau: 40,
      buffer_size: 200,
      bias_rate: 0.002,
      s4avg: 2,
      time_dist: 5,
      normalization: "independent",
      sensor_delay: 1,
      regularization: 32,
      with_learning: true,
      q_norm_selector: "l2",
      intervention_length: 5,
      intervention_proba: 0.0004,
    };
    const p = resolveDepParams({ params: block });
    assert.deepEqual(p, DEP_PRESETS.myosuite);
  });

  it("names an unknown parameter, suggests the intended one and lists the known ones", () => {
    const err = errorOf(() => resolveDepParams({ params: { kapa: 100 } }));
    assert.match(err.message, /unknown parameter "kapa" \(did you mean "kappa"\?\)/);
    assert.match(err.message, /known parameters: kappa, tau, bias_rate, time_dist/);
    for (const name of DEP_PARAM_NAMES) assert.ok(err.message.includes(name), name);

    assert.match(errorOf(() => resolveDepParams({ params: { bufferSize: 300 } })).message, /did you mean "buffer_size"/);
    assert.match(errorOf(() => resolveDepParams({ params: { Tau: 30 } })).message, /did you mean "tau"/);
    // Nothing close: no suggestion, but still the list.
    const far = errorOf(() => resolveDepParams({ params: { learning_rate: 1 } }));
    assert.doesNotMatch(far.message, /did you mean/);
    assert.match(far.message, /unknown parameter "learning_rate"/);
  });

  it("rejects bad values with the name, the value, the allowed range and a remedy", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ kappa: -1 }, /kappa \(-1\) must be a finite number > 0 and <= 1000000: it is the loop gain/],
      [{ kappa: 0 }, /kappa \(0\) must be a finite number > 0/],
      [{ tau: 2.5 }, /tau \(2\.5\) must be an integer >= 3: .*smaller values never learn/],
      [{ tau: 2 }, /tau \(2\) must be an integer >= 3/],
      [{ tau: "20" }, /tau \("20"\) must be an integer >= 3/],
      [{ time_dist: -1 }, /time_dist \(-1\) must be an integer >= 0/],
      [{ normalization: "batch" }, /normalization \("batch"\) must be one of "independent", "global", "none"/],
      [{ normalization_axis: "diagonal" }, /normalization_axis \("diagonal"\) must be one of "column", "row"/],
      [{ q_norm_selector: "l1" }, /q_norm_selector \("l1"\) must be one of "l2", "max", "none"/],
      [{ with_learning: "yes" }, /with_learning \("yes"\) must be true or false/],
      [{ s4avg: -2 }, /s4avg \(-2\) must be a finite number >= 0: .*values <= 1 switch smoothing off/],
      [{ regularization: 400 }, /regularization \(400\) must be a finite number >= 0 and <= 40/],
      [{ force_scale: -0.1 }, /force_scale \(-0\.1\) must be a finite number >= 0/],
      [{ bias_rate: null }, /bias_rate \(null\) must be a finite number: a negative value switches the bias off/],
      [{ intervention_proba: 2 }, /intervention_proba \(2\) must be a finite number >= 0 and <= 1/],
      [{ buffer_size: [200] }, /buffer_size \(an array\) must be an integer >= 1/],
    ];
    for (const [params, pattern] of cases) {
      const err = errorOf(() => resolveDepParams({ params }));
      assert.match(err.message, pattern, JSON.stringify(params));
      assert.equal(err.issues.length, 1, JSON.stringify(params));
    }
  });

  it("requires buffer_size >= tau + time_dist + 1 and says what to change", () => {
    const err = errorOf(() => resolveDepParams({ params: { buffer_size: 25 } }));
    assert.equal(
      err.issues[0],
      "buffer_size (25) must be >= tau + time_dist + 1 = 20 + 5 + 1 = 26: raise buffer_size to at least 26 or lower tau or time_dist",
    );
    assert.equal(resolveDepParams({ params: { buffer_size: 26 } }).buffer_size, 26);
    // The preset's window counts too.
    assert.match(errorOf(() => resolveDepParams({ preset: "humanreacher", params: { buffer_size: 140 } })).message, /= 80 \+ 60 \+ 1 = 141/);
  });

  it("reports every bad parameter at once", () => {
    const err = errorOf(() => resolveDepParams({ params: { kappa: -5, tau: 1 } }));
    assert.equal(err.issues.length, 2);
    assert.match(err.message, /^invalid DEP parameters \(defaults with overrides\):\n  - kappa \(-5\)/);
  });

  it("rejects an unknown preset with a suggestion, and params that are not an object", () => {
    const err = errorOf(() => resolveDepParams({ preset: "myosuit" }));
    assert.match(err.message, /unknown preset "myosuit" \(did you mean "myosuite"\?\); known presets: default, myosuite, humanreacher, ostrich/);
    assert.match(errorOf(() => resolveDepParams({ params: [1, 2] as unknown as Record<string, unknown> })).message, /params \(an array\) must be an object/);
  });

  it("keeps the preset's value for an override given as undefined", () => {
    assert.equal(resolveDepParams({ preset: "ostrich", params: { tau: undefined } }).tau, 8);
  });
});
