/**
 * The per-run token of a served run without `--token`: written to a file only this user can read,
 * so that this user's own tools (`tendon teleop --keyboard`, a script) find it, while a web page
 * open in the browser cannot.
 *
 *   $XDG_RUNTIME_DIR/tendon/api-PORT.token    (or <tmpdir>/tendon-UID/api-PORT.token)
 *
 * The folder is made with mode 0700 and used only when it is this user's and nobody else can
 * enter it; the file has mode 0600 and is removed when the server closes.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** The folder the token files live in. */
export function runTokenDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime)) return path.join(runtime, "tendon");
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return path.join(os.tmpdir(), `tendon-${uid}`);
}

/** The token file of the server on `port`. */
export function runTokenPath(port: number): string {
  return path.join(runTokenDir(), `api-${port}.token`);
}

/** Writes the token; returns the file, or undefined where no private folder can be had (then nothing is written). */
export function writeRunToken(port: number, token: string): string | undefined {
  const dir = runTokenDir();
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
    // Someone else's folder, a link, or one others can enter: do not leave a token there.
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
    const file = runTokenPath(port);
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
    return file;
  } catch {
    return undefined;
  }
}

/** The token of the server on `port` on this machine, if it wrote one. */
export function readRunToken(port: number): string | undefined {
  try {
    const text = fs.readFileSync(runTokenPath(port), "utf8").trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}

/** Removes the file `writeRunToken` wrote, if it still holds `token`. */
export function removeRunToken(file: string, token: string): void {
  try {
    if (fs.readFileSync(file, "utf8").trim() === token) fs.rmSync(file, { force: true });
  } catch {
    // gone already
  }
}
