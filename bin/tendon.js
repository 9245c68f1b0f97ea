#!/usr/bin/env node
// The `tendon` command: runs the compiled CLI from dist/ (built by `npm ci` / `npm run build`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error("tendon: the compiled CLI is missing (dist/). Run `npm ci` or `npm run build` in the tendon folder first.");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
