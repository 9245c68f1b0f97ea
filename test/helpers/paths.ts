import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (this file is test/helpers/paths.ts). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The shared data folder beside the checkout. */
export const sharedData = path.resolve(projectRoot, "..", "shared", "data");
export const myoSim = path.join(sharedData, "myo_sim");
export const depReference = path.join(sharedData, "dep-reference");
