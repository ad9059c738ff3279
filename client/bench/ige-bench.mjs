// AES-256 on 16 KiB messages in Node: this client's IGE (JS and WebAssembly), @cryptography/aes's IGE and WebCrypto
// AES-CBC, in one process, MB/s by wall-clock time and by the process's CPU time (docs/browser-crypto.md).
//   npm ci --prefix client && node client/wasm/build.mjs && node client/bench/ige-bench.mjs [seconds per figure]
// BrowserPerformanceTests measures the same contenders in Chromium.
import { loadavg } from 'node:os';
import { IGE as CryptographyIge } from '@cryptography/aes';
import * as aes from '../js/aes.js';
import { MESSAGE_BYTES, makeContenders, runMessages } from './ige-contenders.mjs';

const seconds = Number(process.argv[2] ?? 1);
if (aes.wasmUnavailable) throw new Error(`the WebAssembly IGE did not load: ${aes.wasmUnavailable}`);
const contenders = await makeContenders({ aes, CryptographyIge, crypto: globalThis.crypto });

/** Runs about `seconds` worth of messages; MB/s over wall time and over user + system CPU time. */
async function measure(contender, direction) {
  const count = Math.max(50, Math.round((seconds * 1000) / ((await runMessages(contender, direction, 50)) / 50)));
  const cpu = process.cpuUsage();
  const wallMs = await runMessages(contender, direction, count);
  const { user, system } = process.cpuUsage(cpu);
  const megabytes = (count * MESSAGE_BYTES) / 1e6;
  return { wall: megabytes / (wallMs / 1000), cpu: megabytes / ((user + system) / 1e6) };
}

console.log(`Node ${process.version}, ${seconds} s per figure, load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
// Warm-up: every contender and direction, until the optimizing tiers have settled.
for (let round = 0; round < 3; round++) {
  for (const contender of Object.values(contenders)) {
    await runMessages(contender, 'encrypt', 200);
    await runMessages(contender, 'decrypt', 200);
  }
}
const rows = [];
for (const [name, contender] of Object.entries(contenders)) {
  const [encrypt, decrypt] = [await measure(contender, 'encrypt'), await measure(contender, 'decrypt')];
  rows.push({ name, encrypt, decrypt });
}
const f = (x) => x.toFixed(0);
console.log('| 16 KiB messages | encrypt MB/s (wall / CPU) | decrypt MB/s (wall / CPU) |');
console.log('|---|---|---|');
for (const { name, encrypt, decrypt } of rows) {
  console.log(`| ${name} | ${f(encrypt.wall)} / ${f(encrypt.cpu)} | ${f(decrypt.wall)} / ${f(decrypt.cpu)} |`);
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
