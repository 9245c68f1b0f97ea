import { initBackend } from "../../src/learner/tf/backend.js";
import type { Rng } from "../../src/core/rng.js";
import { transitionOffsets, transitionRowSize } from "../../src/learner/split/messages.js";

/** Tests run on the backend the learner would pick (wasm here), or the one in TENDON_TEST_BACKEND. */
export async function testBackend(): Promise<void> {
  await initBackend((process.env.TENDON_TEST_BACKEND as never) ?? "auto");
}

/** Waits (polling every 20 ms) until `cond` holds or `ms` have passed. */
export async function until(cond: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; waited < ms && !cond(); waited += 20) await new Promise((r) => setTimeout(r, 20));
}

/** Transition rows of s' = 0.9 s + 0.2 a (2 observations, 1 action), stream 0, with a constant reward. */
export function linearRows(rng: Rng, count: number, reward = 1): Float64Array {
  const size = transitionRowSize(2, 1);
  const at = transitionOffsets(2, 1);
  const data = new Float64Array(count * size);
  for (let k = 0; k < count; k++) {
    const b = k * size;
    const s0 = rng.uniform(-1, 1);
    const s1 = rng.uniform(-1, 1);
    const a = rng.uniform(-1, 1);
    data[b] = s0;
    data[b + 1] = s1;
    data[b + at.action] = a;
    data[b + at.reward] = reward;
    data[b + at.next] = 0.9 * s0 + 0.2 * a;
    data[b + at.next + 1] = 0.9 * s1 - 0.2 * a;
  }
  return data;
}
