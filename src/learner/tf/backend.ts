/**
 * TensorFlow.js and its backend. This folder is the only place in tendon that imports
 * TensorFlow.js; everything else talks to the learner through plain typed arrays.
 *
 * Backends, fastest first (the automatic choice takes the first that loads):
 * - "tensorflow-gpu": @tensorflow/tfjs-node-gpu, libtensorflow with CUDA (optional package);
 * - "tensorflow": @tensorflow/tfjs-node, libtensorflow on the CPU (optional package);
 * - "wasm": @tensorflow/tfjs-backend-wasm, XNNPACK compiled to WebAssembly with SIMD (a
 *   dependency: the default on a machine without the native packages);
 * - "cpu": plain JavaScript kernels (always there, slowest).
 * The native packages download libtensorflow when they install, so they are not dependencies:
 * they are loaded with a dynamic import when present (see the README for installing them).
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";

export { tf };

export const BACKEND_NAMES = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | "auto";

export interface BackendInfo {
  /** The backend in use. */
  readonly name: BackendName;
  /** TensorFlow.js's own name for it ("tensorflow", "wasm", "cpu"). */
  readonly tfName: string;
  /** Backends tried before it and why each was passed over (automatic choice only). */
  readonly skipped: readonly { name: BackendName; reason: string }[];
}

let active: BackendInfo | undefined;

/** The backend chosen by `initBackend`, if it ran. */
export function currentBackend(): BackendInfo | undefined {
  return active;
}

/** Thrown when a backend asked for by name cannot be loaded. */
export class BackendError extends Error {
  override name = "BackendError";
}

async function importOptional(pkg: string): Promise<void> {
  // A variable specifier keeps TypeScript from resolving packages that are not installed.
  const specifier: string = pkg;
  await import(specifier);
}

async function tryBackend(name: BackendName): Promise<string> {
  switch (name) {
    case "tensorflow-gpu":
      await importOptional("@tensorflow/tfjs-node-gpu");
      break;
    case "tensorflow":
      await importOptional("@tensorflow/tfjs-node");
      break;
    case "wasm": {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      // In Node the .wasm files are read from the package's dist folder.
      const require = createRequire(import.meta.url);
      const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
      wasm.setWasmPaths(`${dist}${path.sep}`);
      break;
    }
    case "cpu":
      break;
  }
  const tfName = name === "tensorflow-gpu" ? "tensorflow" : name;
  if (!tf.findBackend(tfName) && !tf.engine().registryFactory[tfName]) throw new Error(`backend '${tfName}' did not register`);
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`backend '${tfName}' failed to initialize`);
  await tf.ready();
  return tfName;
}

/**
 * Selects the backend: `"auto"` walks the chain above and takes the first that works; a name
 * takes that one or throws `BackendError`. Idempotent for the same choice; a different choice
 * later switches the backend (tensors made before then must not be used after).
 */
export async function initBackend(choice: BackendChoice = "auto"): Promise<BackendInfo> {
  if (active && (choice === "auto" || choice === active.name) && tf.getBackend() === active.tfName) return active;
  const order: readonly BackendName[] = choice === "auto" ? BACKEND_NAMES : [choice];
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of order) {
    try {
      const tfName = await tryBackend(name);
      active = { name, tfName, skipped };
      return active;
    } catch (err) {
      const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
      if (choice !== "auto") throw new BackendError(`cannot use TensorFlow.js backend '${name}': ${reason}${installHint(name)}`);
      skipped.push({ name, reason });
    }
  }
  throw new BackendError(`no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
}

function installHint(name: BackendName): string {
  if (name === "tensorflow-gpu") return " (install it with `npm install @tensorflow/tfjs-node-gpu` on a machine with CUDA; see the README)";
  if (name === "tensorflow") return " (install it with `npm install @tensorflow/tfjs-node`; see the README)";
  return "";
}
