export * from "./spec.js";
export * from "./frames.js";
export * from "./events.js";
export * from "./bridge.js";
export * from "./controller.js";
export * from "./clock.js";
export * from "./rng.js";
export * from "./Histogram.js";
