/**
 * Keyboard teleop, the logic without the terminal: keys in, WebSocket messages (see
 * `TeleopMessage` in src/api/ApiServer.ts) out, and a status line. `tendon teleop --keyboard`
 * wires it to a raw-mode terminal and the pipeline's WebSocket.
 *
 * Keys:
 *   1-9, Tab        select a muscle group
 *   Up / w / k      more effort on the selected group (flexors), taking it over
 *   Down / s / j    less effort (towards the extensors)
 *   c               centre: effort 0 (the group stays taken: every muscle at rest)
 *   x               hand the selected group back (DEP resumes, ramping)
 *   z               hand every group back
 *   space           E-STOP (latched)
 *   R (shift-r)     reset the e-stop
 *   q, Ctrl-C       quit (every group is handed back)
 */

export const KEY_HELP =
  "1-9/Tab select group | Up/w more effort | Down/s less | c centre | x hand back | z hand back all | space E-STOP | R reset | q quit";

/** Splits what a raw terminal delivered at once (keys typed fast, pasted) into single keys. */
export function splitKeys(data: string): string[] {
  return data.match(/\u001b\[[0-9;]*[A-Za-z~]|\u001bO[A-Za-z]|[\s\S]/gu) ?? [];
}

export type KeyAction = { kind: "send"; message: Record<string, unknown> } | { kind: "quit" } | { kind: "none" };

export class KeyboardTeleop {
  readonly groups: readonly string[];
  readonly step: number;
  #selected = 0;
  readonly #effort: Map<string, number> = new Map();
  /** Owner per group and e-stop state, as the server last reported. */
  readonly owners: Record<string, string> = {};
  estop = false;

  constructor(groups: readonly string[], options: { step?: number } = {}) {
    if (groups.length === 0) throw new Error("the pipeline has no muscle groups");
    this.groups = groups;
    this.step = options.step ?? 0.1;
  }

  get selected(): string {
    return this.groups[this.#selected];
  }

  /** Groups this keyboard commands. */
  get held(): string[] {
    return [...this.#effort.keys()];
  }

  /** One key (as a raw terminal delivers it: a character, or an escape sequence). */
  key(data: string): KeyAction[] {
    const out: KeyAction[] = [];
    const send = (message: Record<string, unknown>): void => void out.push({ kind: "send", message });
    const effort = (delta: number | null): void => {
      const g = this.selected;
      const now = this.#effort.get(g) ?? 0;
      const e = delta === null ? 0 : Math.max(-1, Math.min(1, Math.round((now + delta) * 1000) / 1000));
      this.#effort.set(g, e);
      send({ type: "command", group: g, effort: e });
    };
    switch (data) {
      case "\u0003": // Ctrl-C
      case "q":
        send({ type: "release" });
        out.push({ kind: "quit" });
        return out;
      case " ":
        send({ type: "estop", reason: "space bar on the keyboard teleop" });
        return out;
      case "R":
        send({ type: "reset" });
        return out;
      case "\t":
        this.#selected = (this.#selected + 1) % this.groups.length;
        return out;
      case "\u001b[A":
      case "w":
      case "k":
        effort(this.step);
        return out;
      case "\u001b[B":
      case "s":
      case "j":
        effort(-this.step);
        return out;
      case "c":
        effort(null);
        return out;
      case "x":
        if (this.#effort.delete(this.selected)) send({ type: "release", group: this.selected });
        return out;
      case "z":
        this.#effort.clear();
        send({ type: "release" });
        return out;
      default:
        if (/^[1-9]$/.test(data)) {
          const k = Number(data) - 1;
          if (k < this.groups.length) this.#selected = k;
        }
        return out.length ? out : [{ kind: "none" }];
    }
  }

  /** What to send periodically: a heartbeat while any group is held (the deadman). */
  heartbeat(): Record<string, unknown> | undefined {
    return this.#effort.size > 0 ? { type: "heartbeat" } : undefined;
  }

  /** A server event: keeps owners and the e-stop state for the status line. */
  onEvent(event: { type: string; group?: string; to?: string }): void {
    if (event.type === "owner" && event.group && event.to) {
      this.owners[event.group] = event.to;
      // The server took the group from this keyboard (expired, e-stop): forget its effort.
      if (event.to !== "teleop") this.#effort.delete(event.group);
    } else if (event.type === "estop") this.estop = true;
    else if (event.type === "estop_reset") this.estop = false;
  }

  statusLine(): string {
    const parts = this.groups.map((g, k) => {
      const e = this.#effort.get(g);
      const mark = k === this.#selected ? ">" : " ";
      const owner = this.owners[g] ?? "?";
      return `${mark}${k + 1} ${g}: ${owner}${e === undefined ? "" : ` ${e >= 0 ? "+" : ""}${e.toFixed(1)}`}`;
    });
    return `${this.estop ? "E-STOP LATCHED (R resets) | " : ""}${parts.join(" | ")}`;
  }
}
