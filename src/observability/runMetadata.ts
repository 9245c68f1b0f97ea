/**
 * What a run ran, as it is kept in a recording's metadata: the shape `tendon sim` and `tendon hw`
 * build (src/app/runIdentity.ts), `tendon info` and `tendon report` read, and `tendon sim --params`
 * and `tendon hw --params` take back.
 */
import type { DepParams } from "../dep/params.js";

export interface RunIdentity {
  readonly tendonVersion: string;
  readonly command: string;
  readonly model: string;
  /** sha256 (hex) of the model's source: the MJCF file and every file it includes (see `modelSha256`), the XML string, or the board configuration. */
  readonly modelSha256: string;
  readonly controller: string;
  /** DEP's preset ("default" when none was named); absent for a controller that is not DEP. */
  readonly preset?: string;
  /** DEP's output mapping as it ran (the default one resolved). */
  readonly mapping?: string;
  /** DEP's parameters as they ran: the preset with every override applied (reference names). */
  readonly params?: Readonly<DepParams>;
  readonly seed: number;
  readonly rateHz: number;
  /** Physics steps per control tick (simulation only). */
  readonly frameSkip?: number;
  readonly timestepSec?: number;
}

/** The metadata record a recording keeps the identity in (entry "json"). */
export const RUN_IDENTITY_METADATA = "tendon.params";
