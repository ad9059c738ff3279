import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex, int64, modPow, readInt64, sha1, concat } from '../js/bytes.js';
import * as mt from '../js/mtproto.js';
import { loadVectors } from './vectors.mjs';

const leHex = (value) => hex(int64(value));

for (const { group, vector } of loadVectors('mtproto2_kdf.json')) {
  test(`kdf ${vector.id}`, async () => {
    const { key, iv } = await mt.deriveKeyIv(fromHex(group.authKey), vector.x, fromHex(vector.msgKey));
    assert.deepEqual([hex(key), hex(iv)], [vector.aesKey, vector.aesIv]);
  });
}

for (const { vector } of loadVectors('mtproto2_auth_key_id.json')) {
  test(`auth_key_id ${vector.id}`, async () => {
    const ids = await mt.keyIds(fromHex(vector.authKey));
    assert.deepEqual([hex(ids.id), hex(ids.auxHash)], [vector.authKeyId, vector.auxHash]);
  });
}

for (const { vector } of loadVectors('mtproto2_tmp_aes_key.json')) {
  test(`tmp_aes_key ${vector.id}`, async () => {
    const { key, iv } = await mt.tmpAesKeyIv(fromHex(vector.serverNonce), fromHex(vector.newNonce));
    assert.deepEqual([hex(key), hex(iv)], [vector.tmpAesKey, vector.tmpAesIv]);
  });
}

for (const { vector } of loadVectors('mtproto2_rsa_fingerprint.json')) {
  test(`rsa fingerprint ${vector.id}`, async () => {
    assert.equal(leHex(await mt.rsaFingerprint(mt.parseRsaPublicPem(vector.pem))), vector.fingerprint);
  });
}

for (const { group, vector } of loadVectors('mtproto2_envelope.json')) {
  test(`envelope ${vector.id} (${vector.result})`, async () => {
    const authKey = fromHex(group.authKey);
    const { id } = await mt.keyIds(authKey);
    const x = (vector.direction ?? group.direction) === 'client-to-server' ? mt.CLIENT_TO_SERVER : mt.SERVER_TO_CLIENT;
    const opened = await mt.decryptMessage(authKey, id, x, fromHex(vector.wire));
    if (vector.result === 'valid') {
      assert.equal(opened.reason, undefined);
      assert.equal(leHex(opened.header.salt), vector.salt);
      assert.equal(leHex(opened.header.sessionId), vector.sessionId);
      assert.equal(opened.header.msgId, BigInt(vector.msgId));
      assert.equal(opened.header.seqNo, vector.seqNo);
      assert.equal(hex(opened.data), vector.messageData);
    } else {
      assert.ok(opened.reason, 'refused');
    }
  });
}

test('a message encrypted here decrypts here, in its direction only', async () => {
  const authKey = crypto.getRandomValues(new Uint8Array(256));
  const { id } = await mt.keyIds(authKey);
  const header = { salt: 5n, sessionId: -7n, msgId: 0x6000000000000004n, seqNo: 3 };
  const data = Uint8Array.of(1, 2, 3, 4);
  const wire = await mt.encryptMessage(authKey, id, mt.CLIENT_TO_SERVER, header, data);
  const opened = await mt.decryptMessage(authKey, id, mt.CLIENT_TO_SERVER, wire);
  assert.deepEqual([opened.header, hex(opened.data)], [header, '01020304']);
  assert.match((await mt.decryptMessage(authKey, id, mt.SERVER_TO_CLIENT, wire)).reason, /msg_key/);
});

for (const { group, vector } of loadVectors('mtproto2_dh_params.json')) {
  test(`dh ${vector.id}`, () => {
    const p = BigInt('0x' + (vector.dhPrime ?? group.dhPrime));
    const reason = vector.value
      ? mt.checkDhParameters(p, vector.g) ?? mt.checkPublicValue(BigInt('0x' + vector.value), p)
      : mt.checkDhParameters(p, vector.g);
    assert.equal(reason, vector.result === 'valid' ? null : vector.reason);
  });
}

test('the built-in published prime is the vectors\' prime', () => {
  const [{ group }] = loadVectors('mtproto2_dh_params.json');
  assert.equal(mt.PUBLISHED_PRIME, BigInt('0x' + group.dhPrime));
});

for (const { vector } of loadVectors('mtproto2_auth_key_creation.json')) {
  test(`auth key creation ${vector.id}: every client-side step recomputed`, async () => {
    assert.deepEqual(mt.factorPq(BigInt(vector.pq)), [BigInt(vector.p), BigInt(vector.q)]);
    const { key, iv } = await mt.tmpAesKeyIv(fromHex(vector.serverNonce), fromHex(vector.newNonce));
    assert.deepEqual([hex(key), hex(iv)], [vector.tmpAesKey, vector.tmpAesIv]);
    const p = BigInt('0x' + vector.dhPrime);
    assert.equal(mt.checkDhParameters(p, vector.g), null);
    assert.equal(mt.checkPublicValue(BigInt('0x' + vector.gA), p), null);
    const b = BigInt('0x' + vector.b);
    assert.equal(modPow(BigInt(vector.g), b, p).toString(16).padStart(512, '0'), vector.gB);
    const authKey = modPow(BigInt('0x' + vector.gA), b, p).toString(16).padStart(512, '0');
    assert.equal(authKey, vector.authKey);
    const ids = await mt.keyIds(fromHex(authKey));
    assert.deepEqual([hex(ids.id), hex(ids.auxHash)], [vector.authKeyId, vector.auxHash]);
    assert.equal(hex(await mt.newNonceHash(fromHex(vector.newNonce), 1, ids.auxHash)), vector.newNonceHash1);
    assert.equal(hex(await mt.newNonceHash(fromHex(vector.newNonce), 2, ids.auxHash)), vector.newNonceHash2);
  });
}

test('pq of two random 31-bit primes factors', () => {
  for (const [p, q] of [[999999937n, 2147483647n], [1000000007n, 1000000009n]]) {
    assert.deepEqual(mt.factorPq(p * q), [p, q]);
  }
});
