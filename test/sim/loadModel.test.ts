import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { UserError } from "../../src/core/errors.js";
import { loadModel, ModelLoadError } from "../../sim/loadModel.js";
import { loadMujocoModule, type Mujoco } from "../../sim/mujocoModule.js";

const BODY = `<worldbody><body><joint name="j" type="hinge"/><geom size="0.1"/></body></worldbody>`;

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A 1 x 1 grey PNG. */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]); // 1 x 1, 8 bit, RGB
  const pixels = zlib.deflateSync(Buffer.from([0, 128, 128, 128]));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

describe("loadModel: files an MJCF model refers to", function () {
  this.timeout(60_000);
  let mj: Mujoco;
  let dir: string;

  before(async () => {
    mj = await loadMujocoModule();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tendon-load-"));
    fs.mkdirSync(path.join(dir, "models", "parts"), { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const load = (file: string): unknown => {
    try {
      loadModel(mj, { kind: "file", path: file }).model.delete();
      return undefined;
    } catch (err) {
      return err;
    }
  };

  it("names a missing mesh where MuJoCo looked for it (meshdir applied), not only as the model wrote it", () => {
    const file = path.join(dir, "models", "arm.xml");
    fs.writeFileSync(file, `<mujoco><compiler meshdir="../meshes"/><asset><mesh name="m" file="bone.stl"/></asset>${BODY}</mujoco>`);
    const err = load(file);
    assert.ok(err instanceof ModelLoadError && err instanceof UserError);
    assert.ok(err.message.includes(`MuJoCo looked for '${path.join(dir, "meshes", "bone.stl")}', which does not exist`), err.message);
    assert.ok(!err.message.includes("\n"));
  });

  it("names a missing include by the path MuJoCo resolved, also from an included file", () => {
    const file = path.join(dir, "models", "arm.xml");
    fs.writeFileSync(file, `<mujoco><include file="nowhere/parts.xml"/>${BODY}</mujoco>`);
    const err = load(file) as Error;
    assert.ok(err instanceof ModelLoadError);
    assert.ok(err.message.includes(`MuJoCo looked for '${path.join(dir, "models", "nowhere", "parts.xml")}'`), err.message);

    // The include exists and includes a file that does not.
    fs.writeFileSync(file, `<mujoco><include file="parts/body.xml"/>${BODY}</mujoco>`);
    fs.writeFileSync(path.join(dir, "models", "parts", "body.xml"), `<mujocoinclude><include file="../../assets/gone.xml"/></mujocoinclude>`);
    const nested = load(file) as Error;
    assert.ok(nested instanceof ModelLoadError);
    const looked = /MuJoCo looked for (.*), (none of which exists|which does not exist)/.exec(nested.message);
    assert.ok(looked, nested.message);
    for (const p of looked[1].split(" and ")) assert.equal(path.basename(p.replaceAll("'", "")), "gone.xml");
    assert.ok(looked[1].includes(path.join(dir, "assets", "gone.xml")) || looked[1].includes(path.join(path.dirname(dir), "assets", "gone.xml")), nested.message);
  });

  it("copies a file the reference scan misses once MuJoCo looks for it, and loads", () => {
    // A cube texture from six files: `fileright=` and the like are not `file=` attributes.
    fs.writeFileSync(path.join(dir, "models", "face.png"), tinyPng());
    const faces = ["right", "left", "up", "down", "front", "back"].map((f) => `file${f}="face.png"`).join(" ");
    const file = path.join(dir, "models", "arm.xml");
    fs.writeFileSync(file, `<mujoco><asset><texture name="sky" type="skybox" ${faces}/></asset>${BODY}</mujoco>`);
    assert.equal(load(file), undefined);
  });
});
