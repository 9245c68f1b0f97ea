import assert from "node:assert/strict";
import fc from "fast-check";
import { coerceParameter, NodeParameters, param, ParameterError } from "../../src/transport/parameters.js";
import { checkControllerParameters, controllerParameterSpecs } from "../../src/nodes/ControllerNode.js";

const specs = {
  gain: param.double("gain", { default: 1, min: 0, exclusiveMin: true, max: 10, description: "gain" }),
  window: param.integer("window", { default: 5, min: 3, description: "ticks" }),
  mode: param.string("mode", { default: "a", choices: ["a", "b"], description: "mode" }),
  model: param.string("model", { default: "m", readOnly: true, description: "model" }),
  enabled: param.bool("enabled", { default: true, description: "on" }),
};

describe("parameters", () => {
  it("coerces ROS types: bigint integers, an integer for a double, nothing else", () => {
    assert.deepEqual(coerceParameter("gain", specs.gain, 3n), { ok: true, value: 3 });
    assert.deepEqual(coerceParameter("window", specs.window, 7n), { ok: true, value: 7 });
    assert.equal(coerceParameter("window", specs.window, 7.5).ok, false);
    assert.match((coerceParameter("gain", specs.gain, "3") as { reason: string }).reason, /gain must be a double \(a number\), got "3"/);
    assert.equal(coerceParameter("enabled", specs.enabled, 1).ok, false);
  });

  it("start-up values: every problem listed at once, unknown names with a suggestion", () => {
    assert.throws(
      () => new NodeParameters("n", specs, { gain: 0, windw: 4, mode: "c" }),
      (err: unknown) =>
        err instanceof ParameterError &&
        err.issues.length === 3 &&
        /gain \(0\) must be a finite number > 0 and <= 10/.test(err.message) &&
        /unknown parameter 'windw' \(did you mean 'window'\?\)/.test(err.message) &&
        /mode \("c"\) must be one of "a", "b"/.test(err.message),
    );
    const p = new NodeParameters("n", specs, { gain: 2n, model: "x" });
    assert.equal(p.values.gain, 2);
    assert.equal(p.values.model, "x", "a read-only parameter takes its start-up value");
  });

  it("a run-time change is validated at once and applied only at the tick boundary", () => {
    const p = new NodeParameters("n", specs);
    const before = p.values;
    assert.deepEqual(p.set({ gain: 4 }), { successful: true, reason: "" });
    assert.equal(p.values.gain, 1);
    assert.equal(p.hasPending, true);
    const applied: string[][] = [];
    p.applied$.subscribe((c) => applied.push([...c.names]));
    assert.deepEqual(p.applyPending(), ["gain"]);
    assert.equal(p.values.gain, 4);
    assert.equal(before.gain, 1, "a kept values object does not change under its holder");
    assert.deepEqual(applied, [["gain"]]);
    assert.equal(p.applyPending(), undefined);
  });

  it("rejects with a reason and changes nothing: out of range, read-only, unknown, all or nothing", () => {
    const p = new NodeParameters("n", specs);
    const r1 = p.set({ gain: -1 });
    assert.equal(r1.successful, false);
    assert.match(r1.reason, /gain \(-1\) must be a finite number > 0/);
    const r2 = p.set({ model: "other" });
    assert.match(r2.reason, /model is read-only/);
    assert.deepEqual(p.set({ model: "m" }), { successful: true, reason: "" }, "setting a read-only parameter to its value is fine");
    p.applyPending();
    assert.match(p.set({ gainn: 2 }).reason, /has no parameter 'gainn' \(did you mean 'gain'\?\)/);
    assert.equal(p.set({ gain: 2, window: 1 }).successful, false);
    assert.equal(p.hasPending, false, "the valid half of a rejected change is not queued");
  });

  it("DEP's own rules and messages hold for the controller node (kappa > 0, the buffer)", () => {
    const p = new NodeParameters("controller", controllerParameterSpecs(), {}, checkControllerParameters);
    const kappa = p.set({ kappa: 0 });
    assert.equal(kappa.successful, false);
    assert.match(kappa.reason, /^kappa \(0\) must be a finite number > 0/);
    const buffer = p.set({ tau: 300 });
    assert.match(buffer.reason, /buffer_size \(200\) must be >= tau \+ time_dist \+ 1/);
    assert.equal(p.set({ tau: 300, buffer_size: 400 }).successful, true);
    assert.match(p.set({ command_min: 1, command_max: 0 }).reason, /command_min \(1\) must be < command_max \(0\)/);
    assert.match(p.set({ safe_command: 2 }).reason, /safe_command \(2\) must lie within/);
  });

  it("property: whatever is accepted satisfies its rule, whatever is rejected leaves the values alone", () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.string(), fc.boolean()), (raw) => {
        const p = new NodeParameters("n", specs);
        const r = p.set({ gain: raw });
        p.applyPending();
        if (r.successful) return typeof p.values.gain === "number" && p.values.gain > 0 && p.values.gain <= 10;
        return p.values.gain === 1 && r.reason.length > 0;
      }),
    );
  });
});
