export * from "./params.js";
export * from "./Dep.js";
export * from "./MuscleInputNormalizer.js";
export * from "./outputMappings.js";
export * from "./DepController.js";
export * from "./replay.js";
