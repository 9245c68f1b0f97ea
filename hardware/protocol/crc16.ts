/**
 * CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
 * Check value: "123456789" -> 0x29B1. Table driven (one 512-byte table built at load); `crc16`
 * allocates nothing.
 */
export const CRC16_INIT = 0xffff;
export const CRC16_CHECK = 0x29b1;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC of `bytes[start, end)`, continuing from `crc` (default: the initial value). */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length, crc = CRC16_INIT): number {
  let c = crc & 0xffff;
  for (let i = start; i < end; i++) c = ((c << 8) & 0xffff) ^ TABLE[((c >>> 8) ^ bytes[i]) & 0xff];
  return c;
}
