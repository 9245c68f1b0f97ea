/**
 * A fixed-bin histogram for loop timings: constant memory, no allocation when recording, exact
 * to one bin width. Values past the last bin are counted in an overflow bin; the exact maximum is
 * kept separately.
 */
export class Histogram {
  readonly #bins: Uint32Array;
  readonly #binWidth: number;
  #overflow = 0;
  #count = 0;
  #sum = 0;
  #max = -Infinity;
  #min = Infinity;

  /** @param binWidth width of one bin, in the unit of the recorded values; @param maxValue upper end of the last bin. */
  constructor(binWidth: number, maxValue: number) {
    if (!(binWidth > 0) || !(maxValue > binWidth)) throw new RangeError("Histogram: need 0 < binWidth < maxValue");
    this.#binWidth = binWidth;
    this.#bins = new Uint32Array(Math.ceil(maxValue / binWidth));
  }

  record(value: number): void {
    if (!Number.isFinite(value)) return;
    const v = value < 0 ? 0 : value;
    const i = Math.floor(v / this.#binWidth);
    if (i < this.#bins.length) this.#bins[i]++;
    else this.#overflow++;
    this.#count++;
    this.#sum += value;
    if (value > this.#max) this.#max = value;
    if (value < this.#min) this.#min = value;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#count === 0 ? 0 : this.#max;
  }

  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /**
   * The value below which a fraction `q` (0..1) of the recordings fall: the upper edge of the bin
   * that holds the q-quantile, capped by the exact maximum. 0 when empty.
   */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#bins.length; i++) {
      seen += this.#bins[i];
      if (seen >= rank) return Math.min((i + 1) * this.#binWidth, this.#max);
    }
    return this.#max;
  }

  reset(): void {
    this.#bins.fill(0);
    this.#overflow = 0;
    this.#count = 0;
    this.#sum = 0;
    this.#max = -Infinity;
    this.#min = Infinity;
  }
}
