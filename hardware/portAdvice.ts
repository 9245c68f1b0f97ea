/**
 * What to check when a serial device cannot be opened: said from what the file system shows
 * (missing, not permitted, not a terminal), so that a newcomer knows the next step.
 */
import fs from "node:fs";

/** Why `path` cannot be opened and what to do, or undefined when nothing is visibly wrong with it. */
export function portProblem(path: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      return `no serial device at ${path}: check that the board is plugged in and powered, and the path (\`tendon hw --list-ports\` lists the serial devices; USB boards are usually /dev/ttyACM* or /dev/ttyUSB*, stable names under /dev/serial/by-id/)`;
    }
    if (code === "EACCES") return `cannot look at ${path} (permission denied on a folder on the way): check its permissions`;
    return undefined;
  }
  try {
    fs.accessSync(path, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return `no permission to open ${path}: add yourself to the group that owns it (usually dialout: sudo usermod -aG dialout $USER, then log out and in again), or check its permissions (ls -l ${path})`;
  }
  if (!st.isCharacterDevice()) return `${path} is not a serial device (a ${st.isDirectory() ? "folder" : "regular file"}): give the board's device, e.g. /dev/ttyACM0 (\`tendon hw --list-ports\` lists them)`;
  return undefined;
}
