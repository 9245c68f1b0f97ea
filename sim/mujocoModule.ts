/**
 * The one place that imports the MuJoCo WebAssembly bindings. The module is loaded once per
 * process (about 150 ms) and shared; models and data objects made from it must be deleted by
 * whoever made them.
 */
import loadMujoco from "@mujoco/mujoco";
import type { MainModule } from "@mujoco/mujoco";

export type Mujoco = MainModule;
export type { MjModel, MjData } from "@mujoco/mujoco";

let modulePromise: Promise<Mujoco> | undefined;

export function loadMujocoModule(): Promise<Mujoco> {
  modulePromise ??= (loadMujoco as unknown as () => Promise<Mujoco>)();
  return modulePromise;
}
