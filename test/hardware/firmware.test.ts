/**
 * The board-side C code (hardware/firmware/) is built and unit-tested with the host's gcc and make
 * against the same golden vectors as the TypeScript codec; its header of vectors must be the one
 * generated from hardware/protocol-vectors.json.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HEADER_PATH, readVectors, vectorsHeader } from "../../hardware/tools/protocolVectors.js";
import { projectRoot } from "../helpers/paths.js";

const has = (cmd: string): boolean => {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

describe("board firmware protocol code (C99)", function () {
  this.timeout(60_000);

  it("has the vectors header generated from protocol-vectors.json", () => {
    assert.equal(
      fs.readFileSync(HEADER_PATH, "utf8"),
      vectorsHeader(readVectors()),
      "hardware/firmware/test/vectors.h is stale: run node --import tsx hardware/tools/protocolVectors.ts --header",
    );
  });

  it("compiles and passes its unit tests (make -C hardware/firmware test)", function () {
    if (!has("make") || !(has("gcc") || has("cc"))) {
      // .ci/run installs them; the C code is part of what this suite checks.
      throw new Error("the firmware tests need make and a C compiler (apt-get install gcc make libc6-dev)");
    }
    const build = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-firmware-"));
    try {
      const r = spawnSync("make", ["-C", path.join(projectRoot, "hardware", "firmware"), "test", `BUILD=${build}`], { encoding: "utf8" });
      assert.equal(r.status, 0, `make -C hardware/firmware test failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^\d+ passed, 0 failed$/m);
    } finally {
      fs.rmSync(build, { recursive: true, force: true });
    }
  });
});
