/**
 * A small seedable random number generator (SplitMix32 seeding a xoshiro128**), so that runs are
 * reproducible from a seed. Not cryptographic.
 */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
  }

  /** The generator's state (4 words), to save it with a checkpoint and resume the same sequence. */
  getState(): Uint32Array {
    return Uint32Array.of(this.#s0, this.#s1, this.#s2, this.#s3);
  }

  /** Restores a state from `getState()`. Throws RangeError unless it holds 4 words, not all zero. */
  setState(state: ArrayLike<number>): void {
    if (state.length !== 4 || (state[0] | state[1] | state[2] | state[3]) === 0) {
      throw new RangeError("Rng.setState: expected 4 words from getState(), not all zero");
    }
    this.#s0 = state[0] >>> 0;
    this.#s1 = state[1] >>> 0;
    this.#s2 = state[2] >>> 0;
    this.#s3 = state[3] >>> 0;
  }

  /** A 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.#s1 << 9) >>> 0;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
