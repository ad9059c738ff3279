// Byte helpers shared by the protocol modules: hex, concatenation, little-endian integers, big-endian BigInts.

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function fromHex(text) {
  if (text.length % 2 !== 0 || /[^0-9a-f]/i.test(text)) throw new RangeError(`not hex: ${text.slice(0, 40)}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

export const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export const random = (length) => crypto.getRandomValues(new Uint8Array(length));

export const readInt32 = (b, o) => new DataView(b.buffer, b.byteOffset, b.length).getInt32(o, true);
export const readInt64 = (b, o) => new DataView(b.buffer, b.byteOffset, b.length).getBigInt64(o, true);

export function int32(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value, true);
  return out;
}

export function int64(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt.asIntN(64, BigInt(value)), true);
  return out;
}

/** A big-endian unsigned integer. */
export function toBigInt(bytes) {
  return bytes.length === 0 ? 0n : BigInt('0x' + hex(bytes));
}

/** A non-negative BigInt as big-endian bytes, left-padded to length (or minimal when length is omitted). */
export function fromBigInt(value, length) {
  let text = value.toString(16);
  if (text.length % 2) text = '0' + text;
  const bytes = value === 0n && length === undefined ? new Uint8Array(1) : fromHex(text);
  if (length === undefined) return bytes;
  if (bytes.length > length) throw new RangeError(`${bytes.length} bytes do not fit in ${length}`);
  return concat(new Uint8Array(length - bytes.length), bytes);
}

export async function sha1(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-1', concat(...parts)));
}

export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}

/** base^exponent mod modulus by square-and-multiply. */
export function modPow(base, exponent, modulus) {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}
