/** What `WorkerVectorEnv` and its environment workers share: the control word layout, the commands, the worker's data. */
import type { ReachTaskOptions } from "./ReachTask.js";

/** Int32 slots of a worker's control buffer. */
export const CONTROL = { seq: 0, command: 1, done: 2, failed: 3 } as const;
export const CONTROL_SLOTS = 4;

export const ENV_COMMAND = { start: 1, step: 2, stop: 3 } as const;

/** The shared arrays, E environments after one another (as VectorEnv lays them out). */
export interface EnvBuffers {
  readonly actions: SharedArrayBuffer;
  readonly observations: SharedArrayBuffer;
  readonly nextObservations: SharedArrayBuffer;
  readonly rewards: SharedArrayBuffer;
  readonly resets: SharedArrayBuffer;
  readonly terminations: SharedArrayBuffer;
  readonly solved: SharedArrayBuffer;
  readonly distances: SharedArrayBuffer;
  readonly muscleStates: SharedArrayBuffer;
}

export interface EnvWorkerData {
  readonly model: string;
  readonly task: ReachTaskOptions;
  readonly seed: number;
  readonly rateHz?: number;
  readonly depForceScale?: number;
  /** The worker's environments: indices first .. first + count − 1. */
  readonly first: number;
  readonly count: number;
  readonly control: SharedArrayBuffer;
  readonly buffers: EnvBuffers;
}
