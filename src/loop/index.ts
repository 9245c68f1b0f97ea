export * from "./ControlLoop.js";
export * from "./CommandLimits.js";
export * from "./LoopStats.js";
export * from "./operators.js";
export * from "./ticks.js";
