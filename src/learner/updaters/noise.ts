/** Standard normal noise from tendon's seeded generator, so sampling is the same on every backend and resumes exactly. */
import type { Rng } from "../../core/rng.js";

export function fillNormal(rng: Rng, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}
