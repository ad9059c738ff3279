import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AesKey } from '../js/aes.js';
import { igeEncrypt, igeDecrypt } from '../js/ige.js';
import { fromHex, hex } from '../js/bytes.js';
import { loadVectors } from './vectors.mjs';

test('AES-128 and AES-256 match the FIPS-197 appendix C examples', () => {
  for (const [key, ct] of [
    ['000102030405060708090a0b0c0d0e0f', '69c4e0d86a7b0430d8cdb78070b4c55a'],
    ['000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', '8ea2b7ca516745bfeafc49904b496089'],
  ]) {
    const aes = new AesKey(fromHex(key));
    const words = Uint32Array.from([0x00112233, 0x44556677, 0x8899aabb, 0xccddeeff]);
    aes.encryptWords(words);
    assert.equal(Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(''), ct);
    aes.decryptWords(words);
    assert.deepEqual(Array.from(words), [0x00112233, 0x44556677, 0x8899aabb, 0xccddeeff]);
  }
});

for (const { group, vector } of loadVectors('aes_ige.json')) {
  test(`aes_ige ${vector.id}: ${vector.comment || ''}`, () => {
    const run = () => {
      const key = fromHex(vector.key), iv = fromHex(vector.iv);
      const ct = igeEncrypt(key, iv, fromHex(vector.msg));
      const msg = igeDecrypt(key, iv, fromHex(vector.ct));
      return hex(ct) === vector.ct && hex(msg) === vector.msg;
    };
    if (vector.result === 'valid') assert.ok(run(), `group keySize ${group.keySize}`);
    else assert.throws(run);
  });
}
