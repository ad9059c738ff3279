// MTProto 2.0 cryptography (docs/protocol.md §2 and §5): keys and ids, the message envelope with every receiver
// check, RSA_PAD, the temporary AES key of the handshake, Diffie-Hellman checks, pq factoring. Spec references are
// to the project's docs/protocol.md, which cites the public MTProto pages.
import { AesKey } from './aes.js';
import { igeDecrypt, igeEncrypt } from './ige.js';
import { concat, equal, fromBigInt, hex, modPow, random, readInt32, readInt64, sha1, sha256, toBigInt, int32, int64 } from './bytes.js';

export const CLIENT_TO_SERVER = 0;
export const SERVER_TO_CLIENT = 8;

/** auth_key_id (the 8 wire bytes, also as a signed BigInt) and aux_hash (§2.2). */
export async function keyIds(authKey) {
  const hash = await sha1(authKey);
  const id = hash.slice(12, 20);
  return { id, idValue: readInt64(id, 0), auxHash: hash.slice(0, 8) };
}

/** msg_key over a whole plaintext, padding included (§2.2). */
export async function msgKeyOf(authKey, x, plaintext) {
  return (await sha256(authKey.subarray(88 + x, 120 + x), plaintext)).slice(8, 24);
}

/** The AES-256-IGE key and IV of one message (§2.2). */
export async function deriveKeyIv(authKey, x, msgKey) {
  const a = await sha256(msgKey, authKey.subarray(x, 36 + x));
  const b = await sha256(authKey.subarray(40 + x, 76 + x), msgKey);
  return {
    key: concat(a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)),
    iv: concat(b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)),
  };
}

/** Padding length for data: 12..1024 bytes, the plaintext a multiple of 16, a random extra up to ~64 bytes. */
export function choosePadding(dataLength) {
  const minimal = 12 + ((16 - ((32 + dataLength + 12) % 16)) % 16);
  return minimal + 16 * (random(1)[0] % 4);
}

/**
 * Encrypts one message: plaintext = salt | session_id | msg_id | seq_no | length | data | padding.
 * @param {{salt: bigint, sessionId: bigint, msgId: bigint, seqNo: number}} header
 */
export async function encryptMessage(authKey, authKeyIdBytes, x, header, data, paddingLength = choosePadding(data.length)) {
  const plaintext = concat(int64(header.salt), int64(header.sessionId), int64(header.msgId), int32(header.seqNo),
    int32(data.length), data, random(paddingLength));
  const msgKey = await msgKeyOf(authKey, x, plaintext);
  const { key, iv } = await deriveKeyIv(authKey, x, msgKey);
  return concat(authKeyIdBytes, msgKey, igeEncrypt(key, iv, plaintext));
}

/** The plaintext of an encrypted packet under the keys its msg_key gives, before any check of it (§2.2). */
export async function openPlaintext(authKey, x, wire) {
  const { key, iv } = await deriveKeyIv(authKey, x, wire.subarray(8, 24));
  return igeDecrypt(key, iv, wire.subarray(24));
}

/** The plaintext under x when its msg_key matches (compared without early exit), else null (§2.4). */
async function openVerified(authKey, x, wire, faults) {
  const plaintext = await openPlaintext(authKey, x, wire);
  if (faults.has('no-msg-key-check')) return plaintext;
  const expected = await msgKeyOf(authKey, x, plaintext);
  let difference = 0;
  for (let i = 0; i < 16; i++) difference |= expected[i] ^ wire[8 + i];
  return difference === 0 ? plaintext : null;
}

/** auth_key_id as the project prints it everywhere: the unsigned 64-bit value in 16 hex digits (the wire bytes reversed). */
export const authKeyIdHex = (id) => BigInt.asUintN(64, readInt64(id, 0)).toString(16).padStart(16, '0');

/**
 * Decrypts and checks a message, in the order of §2.4: shape, auth_key_id, msg_key (compared without early exit),
 * and only then the length and padding. Returns {header, data, padding} or {reason}; a peer must treat every
 * reason alike, the inspector shows it. `faults` (faults.js) may remove the msg_key check (no-msg-key-check) or
 * the direction (accept-reflected: a packet refused with x also tried with the other direction's x).
 */
export async function decryptMessage(authKey, authKeyIdBytes, x, wire, faults = new Set()) {
  if (wire.length < 24 + 48) return { reason: `too short: ${wire.length} bytes` };
  if ((wire.length - 24) % 16 !== 0) return { reason: 'encrypted part is not whole 16-byte blocks' };
  if (!equal(wire.subarray(0, 8), authKeyIdBytes)) return { reason: 'auth_key_id is not this key' };
  let plaintext = await openVerified(authKey, x, wire, faults);
  if (!plaintext && faults.has('accept-reflected')) plaintext = await openVerified(authKey, 8 - x, wire, faults);
  if (!plaintext) return { reason: 'msg_key does not match the plaintext' };
  const length = readInt32(plaintext, 28);
  const padding = plaintext.length - 32 - length;
  if (length < 0 || length > plaintext.length - 32) return { reason: `message_data_length ${length} out of bounds` };
  if (length % 4 !== 0) return { reason: `message_data_length ${length} not a multiple of 4` };
  if (padding < 12 || padding > 1024) return { reason: `padding of ${padding} bytes outside 12..1024` };
  return {
    header: {
      salt: readInt64(plaintext, 0),
      sessionId: readInt64(plaintext, 8),
      msgId: readInt64(plaintext, 16),
      seqNo: readInt32(plaintext, 24),
    },
    data: plaintext.slice(32, 32 + length),
    padding,
  };
}

/** Reads a PKCS#1 "RSA PUBLIC KEY" PEM (as the server and Telegram publish keys): {n, e}. */
export function parseRsaPublicPem(pem) {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  let offset = 0;
  const readLength = () => {
    let length = der[offset++];
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = (length << 8) | der[offset++];
    }
    return length;
  };
  const expect = (tag) => {
    if (der[offset++] !== tag) throw new Error(`not a PKCS#1 RSA public key (tag ${der[offset - 1]} at ${offset - 1})`);
    return readLength();
  };
  const integer = () => {
    const length = expect(0x02);
    const value = der.slice(offset, offset + length);
    offset += length;
    return toBigInt(value);
  };
  expect(0x30);
  const n = integer();
  return { n, e: integer() };
}

/** The key's fingerprint: SHA-1(n:bytes e:bytes)[12..20] as a little-endian signed 64-bit value (§5.2). */
export async function rsaFingerprint({ n, e }) {
  const tlBytes = (b) => {
    const header = b.length < 254 ? [b.length] : [254, b.length & 255, (b.length >> 8) & 255, (b.length >> 16) & 255];
    const head = Uint8Array.from(header);
    return concat(head, b, new Uint8Array((4 - ((head.length + b.length) % 4)) % 4));
  };
  const hash = await sha1(tlBytes(fromBigInt(n)), tlBytes(fromBigInt(e)));
  return readInt64(hash, 12);
}

/** RSA_PAD (§5.2): data of at most 144 bytes, encrypted for the server's key. */
export async function rsaPadEncrypt(data, { n, e }) {
  if (data.length > 144) throw new RangeError(`RSA_PAD takes at most 144 bytes, got ${data.length}`);
  const padded = concat(data, random(192 - data.length));
  for (;;) {
    const tempKey = random(32);
    const reversed = padded.slice().reverse();
    const withHash = concat(reversed, await sha256(tempKey, padded));
    const encrypted = igeEncrypt(new AesKey(tempKey), new Uint8Array(32), withHash);
    const mask = await sha256(encrypted);
    const keyXor = tempKey.map((b, i) => b ^ mask[i]);
    const block = toBigInt(concat(keyXor, encrypted));
    if (block < n) return fromBigInt(modPow(block, e, n), 256);
  }
}

/** tmp_aes_key and tmp_aes_iv of the handshake (§5.3). */
export async function tmpAesKeyIv(serverNonce, newNonce) {
  const a = await sha1(newNonce, serverNonce);
  const b = await sha1(serverNonce, newNonce);
  const c = await sha1(newNonce, newNonce);
  return { key: concat(a, b.subarray(0, 12)), iv: concat(b.subarray(12, 20), c, newNonce.subarray(0, 4)) };
}

/** new_nonce_hashN = SHA1(new_nonce | N | aux_hash)[4..20] (§5.5). */
export async function newNonceHash(newNonce, n, auxHash) {
  return (await sha1(newNonce, Uint8Array.of(n), auxHash)).slice(4, 20);
}

// ---- Diffie-Hellman checks (§5.4) ----

/** The 2048-bit prime published in the MTProto documentation (checked once by Miller-Rabin in the tests). */
export const PUBLISHED_PRIME = BigInt('0x'
  + 'c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4db'
  + 'fa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64'
  + '2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b41'
  + '0dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4'
  + 'e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf'
  + '6f4fadf034b10403119cd8e3b92fcc5b'
);

const provenPrimes = new Set([PUBLISHED_PRIME]);

function millerRabin(n, rounds) {
  if (n < 4n) return n === 2n || n === 3n;
  if (n % 2n === 0n) return false;
  let d = n - 1n, s = 0n;
  while (d % 2n === 0n) { d /= 2n; s++; }
  for (let i = 0; i < rounds; i++) {
    const a = 2n + (toBigInt(random(32)) % (n - 4n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let r = 1n; r < s; r++) {
      x = (x * x) % n;
      if (x === n - 1n) { composite = false; break; }
    }
    if (composite) return false;
  }
  return true;
}

/**
 * Checks dh_prime and g. The published prime is known good; any other must be a 2048-bit safe prime (Miller-Rabin,
 * 32 rounds each for p and (p-1)/2: slow in a browser, and only ever run for a server with its own prime).
 * The fault accept-any-dh-prime skips the checks of p (size, prime, safe); g's are kept.
 * @returns {string|null} why they are refused, or null
 */
export function checkDhParameters(p, g, faults = new Set()) {
  const checkPrime = !faults.has('accept-any-dh-prime');
  if (checkPrime && (p <= 1n << 2047n || p >= 1n << 2048n)) return 'PrimeWrongSize';
  if (checkPrime && !provenPrimes.has(p)) {
    if (!millerRabin(p, 32) || !millerRabin((p - 1n) / 2n, 32)) return 'PrimeNotSafe';
    provenPrimes.add(p);
  }
  // Whether g generates the subgroup of prime order (p-1)/2, per generator (docs/protocol.md §5.4).
  const ok = {
    2: p % 8n === 7n,
    3: p % 3n === 2n,
    4: true,
    5: [1n, 4n].includes(p % 5n),
    6: [19n, 23n].includes(p % 24n),
    7: [3n, 5n, 6n].includes(p % 7n),
  };
  if (!(g in ok)) return 'GeneratorUnsupported';
  return ok[g] ? null : 'GeneratorWrongSubgroup';
}

/** g_a / g_b: 1 < x < p-1 and 2^(2048-64) <= x <= p - 2^(2048-64). @returns {string|null} */
export function checkPublicValue(x, p) {
  if (x <= 1n || x >= p - 1n) return 'ValueOutOfRange';
  const margin = 1n << (2048n - 64n);
  return x < margin || x > p - margin ? 'ValueTooCloseToBounds' : null;
}

// ---- pq (§5.1) ----

/**
 * resPQ's pq, checked and split: minimal big-endian bytes of a number in 4..2^63, the product of two primes
 * p < q. Checked before factoring, so that a prime pq never sends the factoring round for ever.
 * @returns {{p: bigint, q: bigint}|{reason: string}}
 */
export function splitPq(pqBytes) {
  if (pqBytes.length === 0 || pqBytes.length > 8 || pqBytes[0] === 0) return { reason: 'pq is not a minimal 64-bit number' };
  const pq = toBigInt(pqBytes);
  if (pq < 4n || pq >= 1n << 63n) return { reason: `pq ${pq} out of range` };
  if (millerRabin(pq, 32)) return { reason: `pq ${pq} is prime` };
  const [p, q] = factorPq(pq);
  if (p === q || !millerRabin(p, 32) || !millerRabin(q, 32)) return { reason: `pq ${pq} is not the product of two primes` };
  return { p, q };
}

function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Splits pq into its two prime factors, smaller first (Pollard's rho, Brent's cycle finding). */
export function factorPq(pq) {
  if (pq % 2n === 0n) return [2n, pq / 2n];
  for (let c = 1n; ; c++) {
    const f = (v) => (v * v + c) % pq;
    let y = toBigInt(random(8)) % pq, r = 1n, q = 1n, g = 1n, x = 0n, ys = 0n;
    const m = 128n;
    while (g === 1n) {
      x = y;
      for (let i = 0n; i < r; i++) y = f(y);
      for (let k = 0n; k < r && g === 1n; k += m) {
        ys = y;
        for (let i = 0n; i < m && i < r - k; i++) { y = f(y); q = (q * (x > y ? x - y : y - x)) % pq; }
        g = gcd(q, pq);
      }
      r *= 2n;
    }
    if (g === pq) {
      do { ys = f(ys); g = gcd(x > ys ? x - ys : ys - x, pq); } while (g === 1n);
    }
    if (g !== pq) return g < pq / g ? [g, pq / g] : [pq / g, g];
  }
}

export { hex };
