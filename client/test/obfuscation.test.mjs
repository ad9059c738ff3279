// The browser's transport obfuscation checked against Node's AES-256-CTR (OpenSSL), an implementation it shares no
// code with, playing the server's side as docs/protocol.md §6 describes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fromHex, hex } from '../js/bytes.js';
import { OBFUSCATION_TAGS, isUsableHeader, openObfuscation } from '../js/obfuscation.js';
import { loadVectors } from './vectors.mjs';

/** The server's view of a header: its receiving stream (the header's bytes 8..56) and sending stream (them reversed). */
function serverSide(header) {
  const receiving = createDecipheriv('aes-256-ctr', header.subarray(8, 40), header.subarray(40, 56));
  const reversed = Buffer.from(header.subarray(8, 56)).reverse();
  const sending = createCipheriv('aes-256-ctr', reversed.subarray(0, 32), reversed.subarray(32, 48));
  const opened = receiving.update(header);
  return { receiving, sending, tag: opened.readUInt32LE(56), dcId: opened.readInt16LE(60) };
}

/** 64 random bytes that may open a connection. */
function usableSeed() {
  for (;;) {
    const seed = new Uint8Array(randomBytes(64));
    if (isUsableHeader(seed)) return seed;
  }
}

test('the header keeps the seed before byte 56 and carries the tag and the DC id encrypted', () => {
  for (const [name, tag] of Object.entries(OBFUSCATION_TAGS)) {
    const seed = usableSeed();
    const { header } = openObfuscation(tag, -3, seed);
    assert.deepEqual(header.subarray(0, 56), seed.subarray(0, 56), name);
    const server = serverSide(header);
    assert.equal(server.tag, tag, name);
    assert.equal(server.dcId, -3, name);
  }
});

test('both streams run on across messages split anywhere, as AES-256-CTR does', () => {
  for (let round = 0; round < 50; round++) {
    const obfuscation = openObfuscation(OBFUSCATION_TAGS.intermediate, 1, usableSeed());
    const server = serverSide(obfuscation.header);
    const upstream = new Uint8Array(randomBytes(1 + (round * 37) % 300));
    const cut = round % upstream.length;
    const sent = Buffer.concat([obfuscation.encrypt(upstream.subarray(0, cut)), obfuscation.encrypt(upstream.subarray(cut))]);
    assert.deepEqual(new Uint8Array(server.receiving.update(sent)), upstream);

    const downstream = new Uint8Array(randomBytes(1 + (round * 53) % 300));
    const answer = server.sending.update(downstream);
    const back = [...obfuscation.decrypt(answer.subarray(0, cut % answer.length)), ...obfuscation.decrypt(answer.subarray(cut % answer.length))];
    assert.deepEqual(Uint8Array.from(back), downstream);
  }
});

test('a header never starts as a plain framing, HTTP or TLS would, nor with a zero second word', () => {
  const starts = [[0xef], [0x48, 0x45, 0x41, 0x44], [0x50, 0x4f, 0x53, 0x54], [0x47, 0x45, 0x54, 0x20], [0x4f, 0x50, 0x54, 0x49],
    [0x16, 0x03, 0x01, 0x02], [0xdd, 0xdd, 0xdd, 0xdd], [0xee, 0xee, 0xee, 0xee]];
  for (const start of starts) {
    const seed = usableSeed();
    seed.set(start);
    assert.equal(isUsableHeader(seed), false, `starts ${Buffer.from(start).toString('hex')}`);
    assert.throws(() => openObfuscation(OBFUSCATION_TAGS.abridged, 1, seed), RangeError);
  }
  const zeroSecond = usableSeed();
  zeroSecond.fill(0, 4, 8);
  assert.equal(isUsableHeader(zeroSecond), false);
  for (let i = 0; i < 1000; i++) {
    assert.equal(isUsableHeader(openObfuscation(OBFUSCATION_TAGS.paddedIntermediate, 1).header), true);
  }
});

for (const { vector } of loadVectors('mtproto2_obfuscation.json')) {
  test(`obfuscation ${vector.id}: the header and both streams as a public implementation's tests have them`, () => {
    const init = fromHex(vector.init);
    const view = new DataView(init.buffer);
    const obfuscation = openObfuscation(view.getUint32(56, true), view.getInt16(60, true), init);
    assert.equal(hex(obfuscation.header), vector.header);
    assert.equal(hex(obfuscation.encrypt(fromHex(vector.clientPlain))), vector.clientCipher);
    assert.equal(hex(obfuscation.decrypt(fromHex(vector.serverCipher))), vector.serverPlain);
  });
}
