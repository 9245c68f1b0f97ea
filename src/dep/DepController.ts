/**
 * DEP as a `Controller`: sensor frame → muscle-state input (`MuscleInputNormalizer`) → `Dep` →
 * output mapping → command. One environment (E = 1), one DEP step per `update`.
 *
 * DEP counts control ticks, not seconds: `dtSec` is ignored, so tau and time_dist are in ticks
 * and their meaning in seconds depends on the loop rate (the reference runs at the simulator's
 * control rate).
 */
import type { Controller } from "../core/controller.js";
import type { SensorFrame } from "../core/frames.js";
import type { RobotSpec } from "../core/spec.js";
import { Dep, type ReadonlyFloat64Array } from "./Dep.js";
import { type ForceSign, MuscleInputNormalizer } from "./MuscleInputNormalizer.js";
import { createOutputMapping, OUTPUT_MAPPINGS, type OutputMapping, type OutputMappingKind } from "./outputMappings.js";
import { type DepParams, resolveDepParams } from "./params.js";

export interface DepControllerOptions {
  /** A preset name ("default", "myosuite", "humanreacher", "ostrich"); default "default". */
  readonly preset?: string;
  /** Overrides on top of the preset (reference names; see params.ts). */
  readonly params?: Partial<DepParams> | Readonly<Record<string, unknown>>;
  /** y → command. Default: "myosuite" when the spec commands activations, else "linear" over each muscle's command range. */
  readonly outputMapping?: OutputMappingKind;
  /** Sign convention of the force term (see `MuscleInputNormalizer`); default "mujoco" (reference). */
  readonly forceSign?: ForceSign;
  /** Drop the force term when force_scale is 0 (see `MuscleInputNormalizer`); default false. */
  readonly ignoreUnscaledForce?: boolean;
  /** Name reported by `name`; default "dep". */
  readonly name?: string;
}

interface Configured {
  readonly dep: Dep;
  readonly normalizer: MuscleInputNormalizer;
  readonly mapping: OutputMapping;
  readonly input: Float64Array;
  readonly action: Float64Array;
  readonly command: Float64Array;
}

export class DepController implements Controller {
  readonly name: string;
  /** The resolved, validated parameters. */
  readonly params: Readonly<DepParams>;
  readonly #options: DepControllerOptions;
  #state: Configured | undefined;

  /** Resolves and validates the parameters now, so a bad configuration fails before the loop starts (throws `DepParamsError`). */
  constructor(options: DepControllerOptions = {}) {
    this.#options = options;
    this.name = options.name ?? "dep";
    this.params = resolveDepParams({ preset: options.preset, params: options.params });
    if (options.outputMapping !== undefined && !(OUTPUT_MAPPINGS as readonly string[]).includes(options.outputMapping)) {
      throw new RangeError(`DepController: outputMapping (${JSON.stringify(options.outputMapping)}) must be one of ${OUTPUT_MAPPINGS.map((m) => `"${m}"`).join(", ")}`);
    }
  }

  /** Sizes everything for the spec's muscles and starts from scratch (DEP state and input ranges). */
  configure(spec: RobotSpec): void {
    const n = spec.muscles.length;
    if (n < 1) throw new RangeError(`DepController.configure: spec ${JSON.stringify(spec.name)} has no muscles`);
    this.#state = {
      dep: new Dep(this.params, n, 1),
      normalizer: new MuscleInputNormalizer({
        n,
        forceScale: this.params.force_scale,
        forceSign: this.#options.forceSign,
        ignoreUnscaledForce: this.#options.ignoreUnscaledForce,
      }),
      mapping: createOutputMapping(spec, this.#options.outputMapping),
      input: new Float64Array(n),
      action: new Float64Array(n),
      command: new Float64Array(n),
    };
  }

  /**
   * One DEP step. The returned array belongs to the controller and is overwritten on the next
   * call. Throws if `configure` has not been called.
   */
  update(frame: SensorFrame, _dtSec: number): Float64Array {
    const s = this.#configured("update");
    s.normalizer.normalize(frame.muscleLengthM, frame.muscleForceN, s.input);
    s.dep.step(s.input, s.action);
    return s.mapping.map(s.action, s.command);
  }

  /**
   * Forgets what DEP learned (C, bias, buffer, t). The input normalizer's running ranges are
   * kept, as in the reference; `configure` starts those afresh.
   */
  reset(): void {
    this.#state?.dep.reset();
  }

  /** DEP's last output y ∈ [−1, 1] per muscle (before the output mapping): a live view, do not write; copy to keep. */
  get lastAction(): ReadonlyFloat64Array {
    return this.#configured("lastAction").action;
  }

  /** The last DEP input (normalized muscle states): a live view, do not write; copy to keep. */
  get lastInput(): ReadonlyFloat64Array {
    return this.#configured("lastInput").input;
  }

  /** Steps taken since configure or reset. */
  get stepCount(): number {
    return this.#state?.dep.t ?? 0;
  }

  /** A copy of the controller matrix C_norm (n×n, row-major: entry [j·n + k] maps sensor k to motor j). */
  matrix(): Float64Array {
    return this.#configured("matrix").dep.cNorm();
  }

  /** A copy of the bias h (n). */
  bias(): Float64Array {
    return this.#configured("bias").dep.bias();
  }

  /** Which output mapping is in use (after configure). */
  get outputMapping(): OutputMappingKind | undefined {
    return this.#state?.mapping.kind;
  }

  #configured(what: string): Configured {
    if (!this.#state) throw new Error(`DepController.${what}: call configure(spec) first`);
    return this.#state;
  }
}
