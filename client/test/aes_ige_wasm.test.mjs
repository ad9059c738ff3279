// The WebAssembly IGE path (client/wasm/aes-ige.wat) against the JS one: every AES-IGE vector through both, a
// randomized byte-for-byte comparison, proof that the comparison catches a single wrong table byte, and the
// fallback to JS when WebAssembly is missing or the module does not load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { build, OUTPUT } from '../wasm/build.mjs';
import { fromHex, hex } from '../js/bytes.js';
import { instantiateWasmIge } from '../js/aes-wasm.js';
import { loadVectors } from './vectors.mjs';

// Before aes.js loads the module: a fresh clone has only the .wat (the server's build makes the .wasm too).
await build();
const aes = await import('../js/aes.js');
const { igeEncrypt, igeDecrypt } = await import('../js/ige.js');
const ENGINES = ['js', 'wasm'];

/** xorshift32: a reproducible stream of cases; the seed is in every failure message. */
function randomSource(seed) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    return state >>> 0;
  };
  return {
    below: (n) => next() % n,
    bytes: (n) => Uint8Array.from({ length: n }, () => next() & 255),
  };
}

/** Random keys (both sizes), IVs and lengths, including lengths past the module's first 64 KiB memory page. */
function* randomCases(seed, count) {
  const random = randomSource(seed);
  for (let i = 0; i < count; i++) {
    const blocks = i % 50 === 49 ? 4096 + random.below(4096) : random.below(70);
    yield {
      label: `seed ${seed}, case ${i}`,
      key: new aes.AesKey(random.bytes(random.below(2) ? 32 : 16)),
      iv: random.bytes(32),
      input: random.bytes(16 * blocks),
    };
  }
}

const viaJs = (decrypt, key, iv, input) => {
  aes.useIgeEngine('js');
  return key.ige(decrypt, iv, input);
};

/** The first case and direction where `ige` differs from the JS path, or null. */
function firstDifference(ige, cases) {
  for (const { label, key, iv, input } of cases) {
    for (const decrypt of [false, true]) {
      if (hex(ige(decrypt, key, iv, input)) !== hex(viaJs(decrypt, key, iv, input))) {
        return `${label} (${key.rounds} rounds, ${input.length} bytes, ${decrypt ? 'decrypt' : 'encrypt'})`;
      }
    }
  }
  return null;
}

/** Calls a module instance the way AesKey.ige calls the loaded one. */
const viaInstance = (igeWasm) => (decrypt, key, iv, input) => igeWasm(decrypt, decrypt ? key.dk : key.ek, key.rounds, iv, input);

test('the WebAssembly path loads in Node and is the default', () => {
  assert.equal(aes.wasmUnavailable, null);
  assert.equal(aes.igeEngine, 'wasm');
});

for (const { group, vector } of loadVectors('aes_ige.json')) {
  for (const engine of ENGINES) {
    test(`aes_ige ${vector.id} via ${engine}: ${vector.comment || ''}`, () => {
      aes.useIgeEngine(engine);
      const run = () => {
        const key = fromHex(vector.key), iv = fromHex(vector.iv);
        return [hex(igeEncrypt(key, iv, fromHex(vector.msg))), hex(igeDecrypt(key, iv, fromHex(vector.ct)))];
      };
      if (vector.result === 'valid') assert.deepEqual(run(), [vector.ct, vector.msg], `group keySize ${group.keySize}`);
      else assert.throws(run);
    });
  }
}

test('WebAssembly and JS give identical bytes for random keys, IVs and lengths, both directions', () => {
  const seed = Date.now() >>> 0;
  const viaWasm = (decrypt, key, iv, input) => {
    aes.useIgeEngine('wasm');
    return key.ige(decrypt, iv, input);
  };
  assert.equal(firstDifference(viaWasm, randomCases(seed, 300)), null);
});

test('the comparison catches one wrong byte in one table of the WebAssembly path', async () => {
  const bytes = await readFile(OUTPUT);
  for (const plant of [(t) => { t.te[2][0x5a] ^= 1 << 9; }, (t) => { t.invSbox[0xc3] ^= 0x40; }]) {
    const tables = {
      te: aes.AES_TABLES.te.map((table) => table.slice()),
      td: aes.AES_TABLES.td.map((table) => table.slice()),
      sbox: aes.AES_TABLES.sbox.slice(),
      invSbox: aes.AES_TABLES.invSbox.slice(),
    };
    plant(tables);
    const planted = viaInstance(await instantiateWasmIge(tables, bytes));
    assert.notEqual(firstDifference(planted, randomCases(7, 20)), null, `planted fault ${plant} went unnoticed`);
  }
  // The same instantiation over the true tables agrees: the difference came from the planted byte.
  assert.equal(firstDifference(viaInstance(await instantiateWasmIge(aes.AES_TABLES, bytes)), randomCases(7, 20)), null);
});

test('a module that does not compile is refused, so aes.js falls back to JS', async () => {
  const bytes = new Uint8Array(await readFile(OUTPUT));
  bytes[bytes.length - 5] ^= 0xff;
  await assert.rejects(instantiateWasmIge(aes.AES_TABLES, bytes), WebAssembly.CompileError);
  await assert.rejects(instantiateWasmIge(aes.AES_TABLES, new URL('./missing.wasm', OUTPUT)), /ENOENT/);
});

test('without WebAssembly, aes.js serves IGE in JS and says why', async () => {
  const { WebAssembly: saved } = globalThis;
  delete globalThis.WebAssembly;
  let fresh;
  try {
    fresh = await import('../js/aes.js?without-webassembly');
  } finally {
    globalThis.WebAssembly = saved;
  }
  assert.equal(fresh.igeEngine, 'js');
  assert.match(fresh.wasmUnavailable, /WebAssembly is not available/);
  assert.throws(() => fresh.useIgeEngine('wasm'), /IGE engine 'wasm' is not available: WebAssembly is not available/);
  const [vector] = loadVectors('aes_ige.json').map(({ vector }) => vector).filter((v) => v.result === 'valid');
  const key = new fresh.AesKey(fromHex(vector.key));
  assert.equal(hex(key.ige(false, fromHex(vector.iv), fromHex(vector.msg))), vector.ct);
});
