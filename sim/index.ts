export { MujocoBridge, SimOptionError, type MujocoBridgeOptions } from "./MujocoBridge.js";
export { loadModel, ModelLoadError, referencedFiles } from "./loadModel.js";
export { BUILTIN_MODELS, DEFAULT_MODEL, resolveModelSource, describeSource, ModelSourceError, type ModelSource } from "./modelSource.js";
export { loadMujocoModule } from "./mujocoModule.js";
