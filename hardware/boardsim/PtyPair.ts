/**
 * A pair of connected pseudo-terminals from Debian's socat (`socat -d -d pty,raw,echo=0
 * pty,raw,echo=0`): two real tty devices that `serialport` opens like a USB serial device, bytes
 * written to one arriving at the other. socat prints each device path ("PTY is /dev/pts/N") on
 * stderr; they are parsed from there.
 *
 * With `links`, socat also makes symbolic links to the two devices at fixed paths, so that a pair
 * closed and opened again (a cable pulled and plugged back) reappears at the same paths.
 *
 * socat must not outlive this process, even one killed with SIGKILL (which runs no handler): it
 * runs under a small shell that holds a pipe from us and ends socat when the pipe closes, which
 * the kernel does when this process dies, however it dies.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface PtyPairOptions {
  /** Symbolic links to create for the two ends (both or neither). */
  readonly links?: readonly [string, string];
  /** socat executable. Default "socat". */
  readonly socat?: string;
  /** Give up when socat has not reported both devices within this long (ms). Default 5000. */
  readonly timeoutMs?: number;
}

export class PtyPair {
  /** The devices (/dev/pts/N). */
  readonly devices: readonly [string, string];
  /** Where to open each end: the link when given, else the device. */
  readonly paths: readonly [string, string];
  readonly #child: ChildProcess;
  #exited: Promise<void>;

  private constructor(child: ChildProcess, devices: [string, string], paths: [string, string], exited: Promise<void>) {
    this.#child = child;
    this.devices = devices;
    this.paths = paths;
    this.#exited = exited;
  }

  static open(options: PtyPairOptions = {}): Promise<PtyPair> {
    const links = options.links;
    const end = (i: number): string => `pty,raw,echo=0${links ? `,link=${links[i]}` : ""}`;
    // sh: socat in the background; `read` returns at end of input (our end of the pipe closed: we
    // stopped or died) and kills it; SIGTERM (close()) kills it too; sh exits with socat's status.
    // (A background list reads /dev/null unless told otherwise: the pipe goes to it as fd 3.)
    const guard = 'exec 3<&0; socat="$1"; shift; "$socat" "$@" </dev/null & pid=$!; trap \'kill $pid 2>/dev/null\' TERM INT; (read _ignored <&3; kill $pid 2>/dev/null) & exec 3<&-; wait $pid; status=$?; wait $pid 2>/dev/null; exit $status';
    const child = spawn("sh", ["-c", guard, "sh", options.socat ?? "socat", "-d", "-d", end(0), end(1)], { stdio: ["pipe", "ignore", "pipe"] });
    // The pipe is the guard's only purpose: nothing is written to it, and it must not keep us alive.
    child.stdin!.on("error", () => undefined);
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return new Promise((resolve, reject) => {
      let stderr = "";
      let done = false;
      const finish = (err?: Error, pair?: PtyPair): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) {
          child.kill();
          reject(err);
        } else resolve(pair!);
      };
      const timer = setTimeout(() => finish(new Error(`socat did not report two pseudo-terminals within ${options.timeoutMs ?? 5000} ms: ${stderr.trim()}`)), options.timeoutMs ?? 5000);
      child.once("error", (err: NodeJS.ErrnoException) => {
        finish(
          err.code === "ENOENT"
            ? new Error("socat is not installed: it makes the pseudo-terminals of the board simulator (Debian: apt-get install socat)")
            : err,
        );
      });
      child.once("exit", (code) =>
        finish(
          code === 127
            ? new Error("socat is not installed: it makes the pseudo-terminals of the board simulator (Debian: apt-get install socat)")
            : new Error(`socat exited (code ${code}) before the pseudo-terminals were ready: ${stderr.trim()}`),
        ),
      );
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (text: string) => {
        if (done) return;
        stderr += text;
        const devices = [...stderr.matchAll(/PTY is (\S+)/g)].map((m) => m[1]);
        // Both ends exist once socat enters its transfer loop.
        if (devices.length >= 2 && /starting data transfer loop/.test(stderr)) {
          const d: [string, string] = [devices[0], devices[1]];
          finish(undefined, new PtyPair(child, d, links ? [links[0], links[1]] : d, exited));
        }
      });
    });
  }

  /** Ends socat: both devices (and links) vanish, as when a USB cable is pulled. */
  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGTERM");
    this.#child.stdin?.destroy();
    await this.#exited;
  }
}
