/**
 * Corrupts the byte stream from a simulated board to the host, as a bad cable or a busy board
 * would: garbage bytes between frames, flipped bits, dropped frames, and delayed frames (a delay
 * holds back every later frame too: a serial line never reorders). Rates are probabilities per
 * frame, drawn from a seeded generator; one-shot faults are queued with `once`.
 */
import { Rng } from "../../src/core/rng.js";

export interface FaultRates {
  /** Probability per frame of random garbage bytes (1-32, no delimiter guarantee) before it. */
  readonly garbage?: number;
  /** Probability per frame of one flipped bit inside it. */
  readonly bitFlip?: number;
  /** Probability per frame of losing it. */
  readonly drop?: number;
  /** Probability per frame of holding it (and everything after it) back for `delayMs`. */
  readonly delay?: number;
  /** Default 20. */
  readonly delayMs?: number;
}

export type OneShotFault =
  | { readonly kind: "garbage"; readonly bytes: number }
  | { readonly kind: "bitflip" }
  | { readonly kind: "drop" }
  | { readonly kind: "delay"; readonly ms: number };

export interface FaultCounters {
  frames: number;
  garbageBursts: number;
  garbageBytes: number;
  bitFlips: number;
  drops: number;
  delays: number;
}

export class FaultInjector {
  readonly counters: FaultCounters = { frames: 0, garbageBursts: 0, garbageBytes: 0, bitFlips: 0, drops: 0, delays: 0 };
  #rates: Required<FaultRates>;
  readonly #rng: Rng;
  readonly #write: (bytes: Uint8Array) => void;
  readonly #queue: Uint8Array[] = [];
  readonly #once: OneShotFault[] = [];
  #holdUntilMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(write: (bytes: Uint8Array) => void, rates: FaultRates = {}, seed = 0) {
    this.#write = write;
    this.#rng = new Rng(seed);
    this.#rates = normalize(rates);
  }

  setRates(rates: FaultRates): void {
    this.#rates = normalize(rates);
  }

  /** Applies `fault` to the next frame (garbage goes out at once). */
  once(fault: OneShotFault): void {
    if (fault.kind === "garbage") this.#emit(this.#garbage(fault.bytes));
    else this.#once.push(fault);
  }

  /** Sends one frame through the faults. `frame` is copied. */
  send(frame: Uint8Array): void {
    this.counters.frames++;
    const r = this.#rates;
    const rng = this.#rng;
    const one = this.#once.shift();
    if (r.garbage > 0 && rng.next() < r.garbage) this.#emit(this.#garbage(1 + (rng.nextUint32() % 32)));
    if (one?.kind === "drop" || (r.drop > 0 && rng.next() < r.drop)) {
      this.counters.drops++;
      return;
    }
    let bytes = frame;
    if (one?.kind === "bitflip" || (r.bitFlip > 0 && rng.next() < r.bitFlip)) {
      bytes = frame.slice();
      // Flip a bit of a byte between the delimiters.
      const i = 1 + (rng.nextUint32() % Math.max(1, bytes.length - 2));
      bytes[i] ^= 1 << (rng.nextUint32() % 8);
      this.counters.bitFlips++;
    }
    if (one?.kind === "delay" || (r.delay > 0 && rng.next() < r.delay)) {
      this.counters.delays++;
      this.#holdUntilMs = Math.max(this.#holdUntilMs, performance.now() + (one?.kind === "delay" ? one.ms : r.delayMs));
    }
    this.#emit(bytes === frame ? frame.slice() : bytes);
  }

  /** Drops whatever is held back (the link is gone). */
  clear(): void {
    this.#queue.length = 0;
    this.#holdUntilMs = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #emit(bytes: Uint8Array): void {
    const wait = this.#holdUntilMs - performance.now();
    if (wait <= 0 && this.#queue.length === 0) {
      this.#write(bytes);
      return;
    }
    this.#queue.push(bytes);
    if (!this.#timer) this.#timer = setTimeout(() => this.#flush(), Math.max(0, wait));
  }

  #flush(): void {
    this.#timer = undefined;
    const wait = this.#holdUntilMs - performance.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => this.#flush(), wait);
      return;
    }
    for (const b of this.#queue.splice(0)) this.#write(b);
  }

  #garbage(n: number): Uint8Array {
    const g = new Uint8Array(n);
    for (let i = 0; i < n; i++) g[i] = this.#rng.nextUint32() & 0xff;
    this.counters.garbageBursts++;
    this.counters.garbageBytes += n;
    return g;
  }
}

function normalize(r: FaultRates): Required<FaultRates> {
  const out = { garbage: r.garbage ?? 0, bitFlip: r.bitFlip ?? 0, drop: r.drop ?? 0, delay: r.delay ?? 0, delayMs: r.delayMs ?? 20 };
  for (const [k, v] of Object.entries(out)) {
    if (!(Number.isFinite(v) && v >= 0) || (k !== "delayMs" && v > 1)) throw new RangeError(`fault rate ${k} must be in [0, 1] (delayMs >= 0), got ${v}`);
  }
  return out;
}
