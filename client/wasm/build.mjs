// Assembles aes-ige.wat into aes-ige.wasm with wabt (pinned in client/package-lock.json). The server's build runs
// it (Testbed.Server.csproj, target AssembleClientWasm) before copying client/ next to its binaries; the node tests
// run it too, so `node --test client/test/` works on a fresh clone once `npm ci --prefix client` has run.
// It writes only when the source (or this script) is newer than the output.
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const SOURCE = new URL('./aes-ige.wat', import.meta.url);
export const OUTPUT = new URL('./aes-ige.wasm', import.meta.url);

const isStale = () => !existsSync(OUTPUT)
  || [SOURCE, new URL(import.meta.url)].some((input) => statSync(OUTPUT).mtimeMs < statSync(input).mtimeMs);

/** Writes aes-ige.wasm from aes-ige.wat unless it is up to date. @returns {Promise<boolean>} whether it wrote. */
export async function build() {
  if (!isStale()) return false;
  let wabt;
  try {
    wabt = await createRequire(import.meta.url)('wabt')();
  } catch (error) {
    throw new Error(`client/wasm/build.mjs needs wabt: run \`npm ci --prefix client\` (${error.message})`);
  }
  const module = wabt.parseWat(fileURLToPath(SOURCE), readFileSync(SOURCE, 'utf8'));
  try {
    module.validate();
    writeFileSync(OUTPUT, module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log((await build()) ? `wrote ${fileURLToPath(OUTPUT)}` : `${fileURLToPath(OUTPUT)} is up to date`);
  } catch (error) {
    // wabt's own stack trace quotes its minified source: the message alone names the line of the .wat.
    console.error(`client/wasm/build.mjs: ${error.message}`);
    process.exitCode = 1;
  }
}
