import { initBackend } from "../../src/learner/tf/backend.js";

/** Tests run on the backend the learner would pick (wasm here), or the one in TENDON_TEST_BACKEND. */
export async function testBackend(): Promise<void> {
  await initBackend((process.env.TENDON_TEST_BACKEND as never) ?? "auto");
}
