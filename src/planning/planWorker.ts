/**
 * The planning worker (see WorkerBackend): builds the planner from the `PlanSetup` in workerData,
 * says "ready" (or "error" with the reason), then answers each { start, startSec } with a plan.
 * A plan that throws is answered with its message; the worker keeps serving. A { model } message
 * (a newer version of a learned ensemble) is loaded between two plans and answered with its
 * version, or with why it does not fit.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createPlanFunction, type PlanSetup } from "./planSetup.js";
import type { EnsembleState } from "../models/ProbabilisticEnsemble.js";
import type { FinishedPlan } from "./PlanBackends.js";

const port = parentPort!;
try {
  const fn = await createPlanFunction(workerData as PlanSetup);
  port.on("message", (m: { type: "plan"; start: Float64Array; startSec: number } | { type: "model"; state: EnsembleState }) => {
    if (m.type === "model") {
      let error: string | undefined;
      try {
        if (!fn.loadModel) throw new Error("this planner's model is not a learned ensemble");
        fn.loadModel(m.state);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      port.postMessage({ type: "model", version: m.state.version, error });
      return;
    }
    const t0 = performance.now();
    let plan: FinishedPlan;
    try {
      const r = fn.plan(m.start, m.startSec);
      plan = { sequence: r.sequence.slice(), states: r.states.slice(), cost: r.cost, disagreement: r.disagreement, rollouts: r.rollouts, startSec: m.startSec, planMs: performance.now() - t0 };
    } catch (err) {
      plan = { sequence: new Float32Array(0), states: new Float32Array(0), cost: Number.NaN, disagreement: Number.NaN, rollouts: 0, startSec: m.startSec, planMs: performance.now() - t0, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage({ type: "plan", plan });
  });
  port.postMessage({ type: "ready", startSize: fn.startSize });
} catch (err) {
  port.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
}
