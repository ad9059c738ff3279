// The AES-256 implementations that client/bench/ige-bench.mjs (Node) and BrowserPerformanceTests (Chromium) measure
// on one 16 KiB message, in the same process and run: this client's IGE in JS and in WebAssembly, the IGE of
// @cryptography/aes (the library Telegram's web clients use), and WebCrypto AES-CBC, the native ceiling (IGE is
// serial like CBC encryption; CBC decryption is not, so its figure is a ceiling IGE decryption cannot reach).
// Each contender is checked against this client's JS IGE before it is timed.

export const MESSAGE_BYTES = 16384;

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** @cryptography/aes works on big-endian 32-bit words; the message goes in as bytes and comes out as words. */
function wordsToBytes(words) {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((word, i) => view.setUint32(4 * i, word));
  return bytes;
}

/**
 * Makes the contenders over one random key, IV and message.
 * @param {object} deps
 * @param {typeof import('../js/aes.js')} deps.aes this client's aes.js module
 * @param {Function} deps.CryptographyIge @cryptography/aes's IGE class
 * @param {Crypto} deps.crypto WebCrypto
 * @returns {Promise<Record<string, {encrypt: () => unknown, decrypt: () => unknown, isAsync?: boolean}>>}
 */
export async function makeContenders({ aes, CryptographyIge, crypto }) {
  const keyBytes = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(32));
  const message = crypto.getRandomValues(new Uint8Array(MESSAGE_BYTES));
  const key = new aes.AesKey(keyBytes);
  const ours = (engine) => ({
    encrypt: () => { aes.useIgeEngine(engine); return key.ige(false, iv, message); },
    decrypt: () => { aes.useIgeEngine(engine); return key.ige(true, iv, message); },
  });
  const library = new CryptographyIge(keyBytes, iv);
  const cbcKey = await crypto.subtle.importKey('raw', keyBytes, 'AES-CBC', false, ['encrypt', 'decrypt']);
  const cbc = { name: 'AES-CBC', iv: iv.subarray(0, 16) };
  const cbcCiphertext = new Uint8Array(await crypto.subtle.encrypt(cbc, cbcKey, message));
  const contenders = {
    'ours, JS': ours('js'),
    'ours, WebAssembly': ours('wasm'),
    '@cryptography/aes IGE': {
      encrypt: () => library.encrypt(message),
      decrypt: () => library.decrypt(message),
    },
    'WebCrypto AES-CBC': {
      isAsync: true,
      encrypt: () => crypto.subtle.encrypt(cbc, cbcKey, message),
      decrypt: () => crypto.subtle.decrypt(cbc, cbcKey, cbcCiphertext),
    },
  };

  const expected = { encrypt: hex(ours('js').encrypt()), decrypt: hex(ours('js').decrypt()) };
  for (const [name, contender] of Object.entries(contenders)) {
    if (contender.isAsync) continue;
    for (const direction of ['encrypt', 'decrypt']) {
      const output = contender[direction]();
      const got = hex(output instanceof Uint32Array ? wordsToBytes(output) : output);
      if (got !== expected[direction]) throw new Error(`${name} ${direction}: output differs from the JS IGE's`);
    }
  }
  return contenders;
}

/**
 * Runs one contender's direction `count` times, each message after the previous one (as a session would).
 * @returns {Promise<number>} wall-clock milliseconds
 */
export async function runMessages(contender, direction, count) {
  const run = contender[direction];
  const started = performance.now();
  if (contender.isAsync) {
    for (let i = 0; i < count; i++) await run();
  } else {
    for (let i = 0; i < count; i++) run();
  }
  return performance.now() - started;
}
