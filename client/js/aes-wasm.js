// The WebAssembly AES-IGE path: client/wasm/aes-ige.wat (assembled by client/wasm/build.mjs), run over the tables
// that aes.js derives, at 2.2-2.8x the JS loop's speed (CPU time) in Chromium and Node (docs/browser-crypto.md).
// aes.js falls back to its JS loop when this module cannot load.

const MODULE_URL = new URL('../wasm/aes-ige.wasm', import.meta.url);
const PAGE = 65536;

async function readModule(url) {
  if (url.protocol === 'file:') {
    // Node (the unit tests and client/bench): no fetch for file: URLs there.
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.arrayBuffer();
}

/**
 * Instantiates the module and writes aes.js's tables into its memory. Throws when WebAssembly is missing or the
 * module does not load or instantiate (the caller falls back to JS).
 * @param {{te: Int32Array[], td: Int32Array[], sbox: Uint8Array, invSbox: Uint8Array}} tables big-endian columns
 * @param {URL | ArrayBuffer | Uint8Array} source the module's URL, or its bytes
 * @returns {Promise<(decrypt: boolean, roundKeys: Int32Array, rounds: number, iv: Uint8Array, input: Uint8Array) => Uint8Array>}
 */
export async function instantiateWasmIge(tables, source = MODULE_URL) {
  if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not available in this environment');
  const bytes = source instanceof URL ? await readModule(source) : source;
  const { instance } = await WebAssembly.instantiate(bytes);
  const { memory, ige } = instance.exports;
  const [tablesAt, sboxesAt, keysAt, ivAt, dataAt] = ['tables', 'sboxes', 'roundKeys', 'iv', 'data']
    .map((name) => instance.exports[name].value); // the layout, as aes-ige.wat defines it

  // Everything goes in as big-endian bytes, the cipher's own layout (see the byte-order note in aes-ige.wat).
  let view = new DataView(memory.buffer);
  let at = tablesAt;
  for (const table of [...tables.te, ...tables.td]) {
    for (const entry of table) {
      view.setInt32(at, entry);
      at += 4;
    }
  }
  let heap = new Uint8Array(memory.buffer);
  heap.set(tables.sbox, sboxesAt);
  heap.set(tables.invSbox, sboxesAt + 256);

  return function igeWasm(decrypt, roundKeys, rounds, iv, input) {
    const shortBy = dataAt + input.length - memory.buffer.byteLength;
    if (shortBy > 0) {
      memory.grow(Math.ceil(shortBy / PAGE));
      view = new DataView(memory.buffer);
      heap = new Uint8Array(memory.buffer);
    }
    for (let i = 0; i < roundKeys.length; i++) view.setInt32(keysAt + 4 * i, roundKeys[i]);
    heap.set(iv.subarray(0, 32), ivAt);
    heap.set(input, dataAt);
    ige(decrypt ? 1 : 0, rounds, input.length);
    return heap.slice(dataAt, dataAt + input.length);
  };
}
