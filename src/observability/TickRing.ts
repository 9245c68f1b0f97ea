/**
 * A single-producer, single-consumer ring of float64 records in a SharedArrayBuffer: the control
 * loop's thread appends one record per tick (a copy of the numbers, nothing else), the recorder's
 * worker thread reads them. No allocation, no message per tick, no lock: the write and read
 * positions are published with `Atomics`.
 *
 * A record is `[length, ...values]` (length counts itself) and never wraps: when it does not fit
 * before the end, a wrap mark (-1) sends both sides back to the start. A full ring drops the
 * record and counts it: the loop never waits for the reader.
 */
const WRITE = 0;
const READ = 1;
const DROPPED = 2;
const WRAP = -1;

export interface TickRingBuffers {
  readonly data: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
}

export class TickRing {
  readonly #data: Float64Array;
  readonly #control: Int32Array;
  readonly #capacity: number;

  constructor(buffers: TickRingBuffers) {
    this.#data = new Float64Array(buffers.data);
    this.#control = new Int32Array(buffers.control);
    this.#capacity = this.#data.length;
  }

  /** Shared buffers for `capacity` float64 values. */
  static allocate(capacity: number): TickRingBuffers {
    return { data: new SharedArrayBuffer(capacity * 8), control: new SharedArrayBuffer(4 * 4) };
  }

  /** Records dropped because the ring was full. */
  get dropped(): number {
    return Atomics.load(this.#control, DROPPED);
  }

  /**
   * Reserves room for a record of `length` values (the length word included) and returns its
   * start, or -1 (the record is dropped and counted) when the ring is full. Fill
   * `data[start + 1 ..]`, then `commit(start, length)`.
   */
  reserve(length: number): number {
    const cap = this.#capacity;
    if (length > cap / 2) {
      Atomics.add(this.#control, DROPPED, 1);
      return -1;
    }
    let w = this.#control[WRITE];
    const r = Atomics.load(this.#control, READ);
    if (w >= r) {
      if (cap - w < length) {
        // Wrap, if the start has room (one slot stays free so that full and empty differ).
        if (r <= length) {
          Atomics.add(this.#control, DROPPED, 1);
          return -1;
        }
        if (w < cap) this.#data[w] = WRAP;
        w = 0;
        Atomics.store(this.#control, WRITE, 0);
      }
    }
    const rNow = Atomics.load(this.#control, READ);
    if (w < rNow && rNow - w <= length) {
      Atomics.add(this.#control, DROPPED, 1);
      return -1;
    }
    return w;
  }

  get data(): Float64Array {
    return this.#data;
  }

  /** Publishes the record reserved at `start`. */
  commit(start: number, length: number): void {
    this.#data[start] = length;
    Atomics.store(this.#control, WRITE, start + length);
  }

  /** Calls `visit` with every published record (a view into the ring, valid during the call). */
  drain(visit: (record: Float64Array) => void): number {
    const cap = this.#capacity;
    let r = this.#control[READ];
    let n = 0;
    for (;;) {
      const w = Atomics.load(this.#control, WRITE);
      if (r === w) break;
      if (r >= cap || this.#data[r] === WRAP) {
        r = 0;
        Atomics.store(this.#control, READ, 0);
        continue;
      }
      const len = this.#data[r];
      visit(this.#data.subarray(r, r + len));
      r += len;
      Atomics.store(this.#control, READ, r);
      n++;
    }
    return n;
  }
}
