export * from "./Transport.js";
export * from "./messages.js";
export * from "./parameters.js";
export * from "./paramsFile.js";
export * from "./InProcessTransport.js";
