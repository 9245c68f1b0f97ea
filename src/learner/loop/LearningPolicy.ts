/**
 * A learning policy on the real control loop, as a loop plugin: the `PolicyController` runs at
 * control rate in a stage before the arbiter and submits its command as the arbiter's `policy`
 * source, so the policy is under the same limits, priorities and e-stop as every other source
 * (teleop and the e-stop override it at once). DEP's interventions (the DEP-RL schedules) switch
 * inside the controller, on the loop's ticks. After each write the plugin tells the controller
 * whether its command was the one written (owner `policy` and the same values after the limits):
 * ticks that were not are not learned from. Every `drainEveryTicks` ticks the recorded
 * transitions go to the learner (a worker thread, or a ROS topic); policies the learner publishes
 * are offered to the controller, which swaps them in between ticks.
 *
 * Per tick: one forward pass, one submission, one comparison; nothing allocated except the
 * transition block every `drainEveryTicks` ticks.
 */
import { map, type Subscription } from "rxjs";
import type { ControlLoop } from "../../loop/ControlLoop.js";
import type { LoopContext, LoopExtension, LoopPlugin } from "../../loop/extension.js";
import type { Arbiter } from "../../safety/Arbiter.js";
import { POLICY_SOURCE } from "../../safety/config.js";
import type { PolicyController, TransitionBlock } from "../split/PolicyController.js";

export interface LearningPolicyOptions {
  readonly controller: PolicyController;
  /**
   * The safety layer's arbiter; the policy is its `source` (default "policy"). Or a function that
   * returns it once every plugin is extended (a `--serve` session builds its arbiter in its own
   * `extend`, after this plugin's): it is called once, in `attach`.
   */
  readonly arbiter: Arbiter | (() => Arbiter | undefined);
  readonly source?: string;
  /** Where transition blocks go (a `WorkerLearner`'s push, a ROS publisher). */
  readonly sink?: (block: TransitionBlock) => void;
  readonly drainEveryTicks?: number;
}

export class LearningPolicy implements LoopPlugin {
  readonly controller: PolicyController;
  readonly source: string;
  readonly #options: LearningPolicyOptions;
  #subscription: Subscription | undefined;
  #command = new Float64Array(0);
  #arbiter: Arbiter | undefined;
  #ticks = 0;
  #applied = 0;
  #sent = 0;

  constructor(options: LearningPolicyOptions) {
    this.#options = options;
    this.controller = options.controller;
    this.source = options.source ?? POLICY_SOURCE;
  }

  /** Ticks seen, ticks on which the policy's own command was written, transitions sent. */
  get stats(): { ticks: number; applied: number; sent: number; skipped: number } {
    return { ticks: this.#ticks, applied: this.#applied, sent: this.#sent, skipped: this.controller.skippedTransitions };
  }

  extend(context: LoopContext): LoopExtension {
    const { controller } = this.#options;
    const source = this.source;
    controller.configure(context.spec);
    this.#command = new Float64Array(context.spec.muscles.length);
    const own = this.#command;
    const dt = context.periodSec;
    return {
      stages: [
        map((c) => {
          const u = controller.update(c.frame, dt);
          own.set(u);
          this.#arbiter!.submitMuscles(source, u);
          return c;
        }),
      ],
    };
  }

  attach(loop: ControlLoop): void {
    const a = this.#options.arbiter;
    this.#arbiter = typeof a === "function" ? a() : a;
    if (!this.#arbiter) throw new Error("LearningPolicy: no arbiter to submit the policy's commands to (the safety layer is not in the loop)");
    const every = this.#options.drainEveryTicks ?? 25;
    const own = this.#command;
    this.#subscription = loop.cycles$.subscribe((c) => {
      let applied = c.source === this.source;
      if (applied) {
        const v = c.command.values;
        for (let i = 0; i < own.length; i++) {
          if (Math.abs(v[i] - own[i]) > 1e-9) {
            applied = false;
            break;
          }
        }
      }
      this.controller.markApplied(applied);
      this.#ticks++;
      if (applied) this.#applied++;
      if (this.#ticks % every === 0) this.flush();
    });
  }

  /** Sends the transitions recorded so far. */
  flush(): void {
    const block = this.controller.drainTransitions();
    if (block.count === 0) return;
    this.#sent += block.count;
    this.#options.sink?.(block);
  }

  close(): void {
    this.flush();
    this.#subscription?.unsubscribe();
  }
}
