/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker): removes every 0x00 from a block so that
 * 0x00 can delimit frames. Each block is a code byte n (1-255) followed by n-1 non-zero bytes,
 * standing for those bytes plus an implied 0x00; code 0xFF stands for 254 bytes with no implied
 * zero. The implied zero after the last block is dropped. Worst-case overhead: ceil(N/254) bytes.
 *
 * Both functions work between caller-owned buffers and allocate nothing.
 */

/** Largest encoded size of `n` bytes, without the delimiter. */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.max(1, Math.ceil(n / 254));
}

/**
 * Encodes `src[start, end)` into `dst` at `dstStart` (no delimiter) and returns the number of
 * bytes written. `dst` must have room for `cobsMaxEncodedLength(end - start)` bytes.
 */
export function cobsEncode(src: Uint8Array, start: number, end: number, dst: Uint8Array, dstStart = 0): number {
  let codeAt = dstStart;
  let w = dstStart + 1;
  let code = 1;
  for (let i = start; i < end; i++) {
    const b = src[i];
    if (b === 0) {
      dst[codeAt] = code;
      codeAt = w++;
      code = 1;
    } else {
      dst[w++] = b;
      code++;
      if (code === 0xff) {
        dst[codeAt] = code;
        // A full block at the very end needs no further code byte (the canonical form).
        if (i + 1 === end) return w - dstStart;
        codeAt = w++;
        code = 1;
      }
    }
  }
  dst[codeAt] = code;
  return w - dstStart;
}

/**
 * Decodes one COBS block `src[start, end)` (no delimiter) into `dst` at 0 and returns the decoded
 * length, or -1 when the input is not valid COBS (a 0x00 inside, or a code byte that runs past
 * the end) or the result would not fit in `dst`. Never throws.
 */
export function cobsDecode(src: Uint8Array, start: number, end: number, dst: Uint8Array): number {
  let r = start;
  let w = 0;
  const cap = dst.length;
  while (r < end) {
    const code = src[r++];
    if (code === 0) return -1;
    const blockEnd = r + code - 1;
    if (blockEnd > end) return -1;
    if (w + (code - 1) > cap) return -1;
    while (r < blockEnd) {
      const b = src[r++];
      if (b === 0) return -1;
      dst[w++] = b;
    }
    if (code !== 0xff && r < end) {
      if (w >= cap) return -1;
      dst[w++] = 0;
    }
  }
  return w;
}
