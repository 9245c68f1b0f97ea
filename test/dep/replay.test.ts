import assert from "node:assert/strict";
import { Dep } from "../../src/dep/Dep.js";
import { DepParamsError, resolveDepParams } from "../../src/dep/params.js";
import { ReplayInputError, parseReplayFile, replayDep } from "../../src/dep/replay.js";
import { randomWalk } from "./helpers.js";

function rows(seed: number, steps: number, len: number): number[][] {
  return randomWalk(seed, steps, len, 0.1).map((x) => [...x]);
}

describe("replayDep", () => {
  it("T×n input: outputs T×1×n, equal to stepping Dep directly", () => {
    const inputs = rows(1, 40, 3);
    const result = replayDep({ inputs });
    assert.equal(result.outputs.length, 40);
    const dep = new Dep(resolveDepParams(), 3);
    const out = new Float64Array(3);
    inputs.forEach((x, t) => {
      dep.step(x, out);
      assert.deepEqual(result.outputs[t], [[...out]]);
    });
    assert.equal(result.finalT, 40);
    assert.deepEqual(result.finalCNorm, [[...Array(3).keys()].map((j) => [...dep.cNorm().subarray(j * 3, j * 3 + 3)])]);
    assert.deepEqual(result.finalBias, [[...dep.bias()]]);
  });

  it("T×E×n input: outputs T×E×n, environments with their own C", () => {
    const flat = rows(2, 30, 4);
    const inputs = flat.map((r) => [r.slice(0, 2), r.slice(2, 4)]);
    const result = replayDep({ inputs, preset: "ostrich", params: { tau: 5 } });
    assert.equal(result.params.tau, 5);
    assert.equal(result.params.kappa, 20);
    assert.equal(result.outputs.length, 30);
    for (const step of result.outputs) assert.deepEqual([step.length, step[0].length], [2, 2]);
    const dep = new Dep(result.params, 2, 2);
    const out = new Float64Array(4);
    flat.forEach((x, t) => {
      dep.step(x, out);
      assert.deepEqual(result.outputs[t].flat(), [...out]);
    });
    assert.notDeepEqual(result.finalCNorm[0], result.finalCNorm[1]);
  });

  it("says what is wrong with a malformed input, and where", () => {
    const cases: [unknown, RegExp][] = [
      [null, /must be a JSON object with an "inputs" array, got null/],
      [[1, 2], /must be a JSON object .* got an array/],
      [{}, /missing "inputs": expected a T×n or T×E×n array of numbers/],
      [{ inputs: 3 }, /"inputs" must be an array \(T×n or T×E×n\), got 3/],
      [{ inputs: [] }, /"inputs" is empty: expected at least one row/],
      [{ inputs: [5] }, /inputs\[0\] must be an array/],
      [{ inputs: [[]] }, /inputs\[0\] is empty/],
      [{ inputs: [[1, 2, 3], [1, 2, 3], [1, 2]] }, /inputs\[2\] has 2 values, expected 3 \(T×n with n = 3 \(from inputs\[0\]\)\)/],
      [{ inputs: [[1, 2], [3, "a"]] }, /inputs\[1\]\[1\] is "a", expected a finite number/],
      [{ inputs: [[1, 2], [3, null]] }, /inputs\[1\]\[1\] is null, expected a finite number/],
      [{ inputs: [[1, 2], [3, [4]]] }, /inputs\[1\]\[1\] is an array, expected a finite number/],
      [{ inputs: [[1, 2], 7] }, /inputs\[1\] must be an array of 2 numbers/],
      [{ inputs: [[[1, 2], [3, 4]], [[1, 2]]] }, /inputs\[1\] has 1 rows, expected 2 \(T×E×n with E = 2, n = 2/],
      [{ inputs: [[[1, 2], [3, 4]], [[1, 2], [3]]] }, /inputs\[1\]\[1\] has 1 values, expected 2/],
      [{ inputs: [[[1, 2], [3, 4]], [[1, 2], [3, true]]] }, /inputs\[1\]\[1\]\[1\] is true, expected a finite number/],
      [{ inputs: [[1]], preset: 3 }, /"preset" must be a preset name \(a string\), got 3/],
    ];
    for (const [input, pattern] of cases) {
      assert.throws(() => replayDep(input), (err: unknown) => err instanceof ReplayInputError && pattern.test(err.message), JSON.stringify(input));
    }
  });

  it("passes parameter errors through as DepParamsError", () => {
    assert.throws(() => replayDep({ inputs: [[1]], params: { tua: 3 } }), (err: unknown) => err instanceof DepParamsError && /did you mean "tau"/.test(err.message));
    assert.throws(() => replayDep({ inputs: [[1]], preset: "ostrch" }), /did you mean "ostrich"/);
  });
});

describe("parseReplayFile", () => {
  it("parses JSON", () => {
    assert.deepEqual(parseReplayFile('{"inputs": [[1, 2]]}', "in.json"), { inputs: [[1, 2]] });
  });

  it("names the file, line and column of a syntax error", () => {
    const text = '{\n  "inputs": [[1, 2],\n  [3, 4]]]\n}';
    assert.throws(
      () => parseReplayFile(text, "runs/arm.json"),
      (err: unknown) => err instanceof ReplayInputError && /^runs\/arm\.json: not valid JSON \(line 3, column 10\)/.test(err.message) && /Expected an object like/.test(err.message),
    );
    assert.throws(() => parseReplayFile("", "empty.json"), (err: unknown) => err instanceof ReplayInputError && err.message.startsWith("empty.json: not valid JSON"));
  });
});
