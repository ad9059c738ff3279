// AES-IGE (docs/protocol.md §2.3): c_i = E(m_i xor c_{i-1}) xor m_{i-1}, the 32-byte IV holding c_0 then m_0.
// The chaining is inlined with the cipher in AesKey.ige, the hot path for every message (in WebAssembly when it
// loads, else in aes.js's JS loop).
import { AesKey } from './aes.js';

function check(key, iv, data) {
  if (!(iv instanceof Uint8Array) || iv.length !== 32) throw new RangeError(`IGE IV must be 32 bytes, got ${iv?.length}`);
  if (!(data instanceof Uint8Array) || data.length % 16 !== 0) throw new RangeError(`IGE input must be whole 16-byte blocks, got ${data?.length} bytes`);
  return key instanceof AesKey ? key : new AesKey(key);
}

/** Encrypts whole blocks. @returns {Uint8Array} a new array. */
export const igeEncrypt = (key, iv, plaintext) => check(key, iv, plaintext).ige(false, iv, plaintext);

/** Decrypts whole blocks. @returns {Uint8Array} a new array. */
export const igeDecrypt = (key, iv, ciphertext) => check(key, iv, ciphertext).ige(true, iv, ciphertext);
