// Module hooks of importLog.mjs: logs each resolved ES module URL.
import fs from "node:fs";

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  fs.appendFileSync(process.env.TENDON_IMPORT_LOG, `${result.url}\n`);
  return result;
}
