export * from "./constants.js";
export * from "./crc16.js";
export * from "./cobs.js";
export * from "./FrameEncoder.js";
export * from "./FrameDecoder.js";
export * from "./messages.js";
