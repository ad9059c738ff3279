// Transport obfuscation (docs/protocol.md §6, "Obfuscation"; https://core.telegram.org/mtproto/mtproto-transports#transport-obfuscation).
// The client opens with 64 random bytes: bytes 8..40 are its sending key and 40..56 its sending IV, and the same
// bytes reversed give the receiving key and IV; each direction is one AES-256-CTR stream. The framing's tag and the
// DC id sit at 56..62 and travel encrypted. The keys are in the clear in the header, so anyone on the path can strip
// the obfuscation: it hides the protocol from a filter that looks for it, and is no encryption.
import { AesKey } from './aes.js';
import { random } from './bytes.js';

/** The framings' tags at bytes 56..59 of the header. */
export const OBFUSCATION_TAGS = Object.freeze({
  abridged: 0xefefefef,
  intermediate: 0xeeeeeeee,
  paddedIntermediate: 0xdddddddd,
});

/**
 * First words a header must not start with, read little-endian: the plain framings' markers, what an HTTP request
 * or a TLS record starts with ("HEAD", "POST", "GET ", "OPTI", 16 03 01 02), so that a server can tell an
 * obfuscated connection from any other by its first bytes.
 */
const FORBIDDEN_FIRST_WORDS = new Set([0x44414548, 0x54534f50, 0x20544547, 0x4954504f, 0x02010316, 0xdddddddd, 0xeeeeeeee]);

/** One direction's AES-256-CTR keystream, counter big-endian over the whole IV, kept across calls. */
class CtrStream {
  #key;
  #counter;
  #block = new Uint8Array(16);
  #used = 16;

  constructor(key, iv) {
    this.#key = new AesKey(key);
    this.#counter = Uint8Array.from(iv);
  }

  /** XORs the next bytes of the keystream into a copy of `bytes`. */
  apply(bytes) {
    const out = Uint8Array.from(bytes);
    for (let i = 0; i < out.length; i++) {
      if (this.#used === 16) this.#nextBlock();
      out[i] ^= this.#block[this.#used++];
    }
    return out;
  }

  #nextBlock() {
    const view = new DataView(this.#counter.buffer);
    const words = [0, 4, 8, 12].map((offset) => view.getUint32(offset, false));
    this.#key.encryptWords(words);
    const block = new DataView(this.#block.buffer);
    words.forEach((word, i) => block.setUint32(4 * i, word >>> 0, false));
    for (let i = 15; i >= 0 && ++this.#counter[i] === 256; i--) this.#counter[i] = 0;
    this.#used = 0;
  }
}

/** Whether 64 random bytes may open an obfuscated connection (the spec's excluded starts). */
export function isUsableHeader(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return bytes[0] !== 0xef && !FORBIDDEN_FIRST_WORDS.has(view.getUint32(0, true)) && view.getUint32(4, true) !== 0;
}

/**
 * The client's side of an obfuscated connection: the 64 bytes to send first, and the two streams.
 * @param {number} tag one of OBFUSCATION_TAGS
 * @param {number} dcId the DC the client asks for (int16 at bytes 60..61)
 * @param {Uint8Array} [seed] 64 bytes to use instead of fresh random ones (the tests' vectors)
 * @returns {{ header: Uint8Array, encrypt: (bytes: Uint8Array) => Uint8Array, decrypt: (bytes: Uint8Array) => Uint8Array }}
 */
export function openObfuscation(tag, dcId, seed) {
  if (seed && !isUsableHeader(seed)) throw new RangeError('the seed starts as a plain framing, HTTP or TLS would');
  let init = seed ? Uint8Array.from(seed) : random(64);
  while (!isUsableHeader(init)) init = random(64);
  const view = new DataView(init.buffer);
  view.setUint32(56, tag, true);
  view.setInt16(60, dcId, true);
  const reversed = init.slice(8, 56).reverse();
  const sending = new CtrStream(init.slice(8, 40), init.slice(40, 56));
  const receiving = new CtrStream(reversed.slice(0, 32), reversed.slice(32, 48));
  const header = init.slice();
  header.set(sending.apply(init).subarray(56, 64), 56);
  return {
    header,
    encrypt: (bytes) => sending.apply(bytes),
    decrypt: (bytes) => receiving.apply(bytes),
  };
}
