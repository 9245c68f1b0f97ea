import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { modelSha256 } from "../../src/app/runIdentity.js";

const sha = (b: string | Buffer): string => crypto.createHash("sha256").update(b).digest("hex");

describe("modelSha256: the model file and every file it includes", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-sha-"));
    fs.mkdirSync(path.join(dir, "model", "parts"), { recursive: true });
    fs.mkdirSync(path.join(dir, "meshes"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (rel: string, text: string): void => fs.writeFileSync(path.join(dir, rel), text);
  const main = (): string => modelSha256({ kind: "file", path: path.join(dir, "model", "arm.xml") });

  it("is the file's sha256 when it includes nothing", () => {
    write("model/arm.xml", "<mujoco><worldbody/></mujoco>");
    assert.equal(main(), sha("<mujoco><worldbody/></mujoco>"));
    assert.equal(modelSha256({ kind: "xml", xml: "<mujoco/>" }), sha("<mujoco/>"));
  });

  it("differs when an included file or a mesh differs, the main file being the same", () => {
    write("model/arm.xml", `<mujoco><compiler meshdir="../meshes"/><include file="parts/body.xml"/><asset><mesh name="m" file="bone.stl"/></asset></mujoco>`);
    write("model/parts/body.xml", "<mujocoinclude><worldbody/></mujocoinclude>");
    write("meshes/bone.stl", "solid a\nendsolid a\n");
    const first = main();
    assert.notEqual(first, sha(fs.readFileSync(path.join(dir, "model", "arm.xml"))));
    assert.equal(main(), first, "the same files, the same hash");

    write("model/parts/body.xml", "<mujocoinclude><worldbody><body/></worldbody></mujocoinclude>");
    const otherInclude = main();
    assert.notEqual(otherInclude, first);

    write("meshes/bone.stl", "solid b\nendsolid b\n");
    assert.notEqual(main(), otherInclude);
  });

  it("is the sha256 of the sha256sum manifest, names relative to the model's folder: the folder may move", () => {
    write("model/arm.xml", `<mujoco><include file="parts/body.xml"/></mujoco>`);
    write("model/parts/body.xml", "<mujocoinclude/>");
    const manifest = [`${sha(fs.readFileSync(path.join(dir, "model", "arm.xml")))}  arm.xml\n`, `${sha("<mujocoinclude/>")}  parts/body.xml\n`].join("");
    assert.equal(main(), sha(manifest));
    const before = main();
    const moved = path.join(dir, "elsewhere");
    fs.renameSync(path.join(dir, "model"), moved);
    assert.equal(modelSha256({ kind: "file", path: path.join(moved, "arm.xml") }), before);
  });
});
