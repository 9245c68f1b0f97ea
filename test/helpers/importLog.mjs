// Loaded with `node --import ./test/helpers/importLog.mjs`: writes every module a process loads,
// ES modules as they resolve and CommonJS ones at exit, one URL or path a line, to the file
// named by TENDON_IMPORT_LOG.
import fs from "node:fs";
import { createRequire, register } from "node:module";

const log = process.env.TENDON_IMPORT_LOG;
if (log) {
  register("./importLogHooks.mjs", import.meta.url);
  const cache = createRequire(import.meta.url).cache;
  process.on("exit", () => fs.appendFileSync(log, Object.keys(cache).join("\n") + "\n"));
}
