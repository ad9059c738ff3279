// The auth-key handshake as a client (docs/protocol.md §5), written as its named steps. Each step reports to the
// inspector what a learner wants to see — never the auth key or the secret exponent. Every check of §5 is made;
// a failed one throws HandshakeError with the reason, and nothing more is sent. The test faults accept-any-dh-prime
// and no-g-a-range-check (faults.js) each remove one of them.
import { concat, equal, fromBigInt, hex, int64, modPow, random, readInt64, sha1, toBigInt } from './bytes.js';
import { igeDecrypt, igeEncrypt } from './ige.js';
import * as mt from './mtproto.js';
import { MsgIdGenerator } from './msgid.js';

export class HandshakeError extends Error {}

/**
 * Creates an auth key over `exchange` (sends one unencrypted message's data, returns the answer's data).
 * @param {{ schema, exchange: (data: Uint8Array) => Promise<Uint8Array>, serverKey: {n: bigint, e: bigint}, dc: number,
 *           onStep?: (step: {name: string, ms: number, values: object}) => void, faults?: Set<string> }} options
 * @returns {Promise<{authKey: Uint8Array, keyId: Uint8Array, salt: bigint, timeOffset: number}>}
 */
export async function createAuthKey({ schema, exchange, serverKey, dc, onStep = () => {}, faults = new Set() }) {
  const fingerprint = await mt.rsaFingerprint(serverKey);
  const call = async (value) => schema.deserialize(await exchange(schema.serialize(value)));
  // Each step returns `show` (public values for the inspector) and what the next steps need, which never leaves here.
  const timed = async (name, work) => {
    const started = performance.now();
    const { show, ...kept } = await work();
    onStep({ name, ms: performance.now() - started, values: show });
    return kept;
  };

  // Step 1: req_pq_multi -> resPQ. The server must echo our nonce and offer the pinned key.
  const nonce = random(16);
  const resPq = await timed('req_pq_multi → resPQ', async () => {
    const answer = await call({ _: 'req_pq_multi', nonce });
    expect(answer._ === 'resPQ', `expected resPQ, got ${answer._}`);
    expect(equal(answer.nonce, nonce), 'resPQ nonce is not ours');
    const offered = answer.server_public_key_fingerprints;
    expect(offered.includes(fingerprint),
      `the server does not offer the pinned RSA key (fingerprint ${fp(fingerprint)}); it offers ${offered.map(fp).join(', ')}`);
    const show = {
      nonce: hex(nonce),
      server_nonce: hex(answer.server_nonce),
      pq: toBigInt(answer.pq).toString(),
      fingerprint: fp(fingerprint),
    };
    return { show, answer };
  });
  const serverNonce = resPq.answer.server_nonce;

  // Step 2: factor pq, RSA_PAD the inner data, req_DH_params -> server_DH_params_ok.
  const newNonce = random(32);
  const dhParams = await timed('req_DH_params → server_DH_params_ok', async () => {
    const factorStart = performance.now();
    const split = mt.splitPq(resPq.answer.pq);
    expect(!split.reason, `resPQ refused: ${split.reason}`);
    const { p, q } = split;
    const factorMs = performance.now() - factorStart;
    const inner = schema.serialize({
      _: 'p_q_inner_data_dc',
      pq: resPq.answer.pq,
      p: fromBigInt(p),
      q: fromBigInt(q),
      nonce,
      server_nonce: serverNonce,
      new_nonce: newNonce,
      dc,
    });
    const encrypted = await mt.rsaPadEncrypt(inner, serverKey);
    const answer = await call({
      _: 'req_DH_params',
      nonce,
      server_nonce: serverNonce,
      p: fromBigInt(p),
      q: fromBigInt(q),
      public_key_fingerprint: fingerprint,
      encrypted_data: encrypted,
    });
    expect(answer._ === 'server_DH_params_ok', `the server answered ${answer._}`);
    expect(equal(answer.nonce, nonce) && equal(answer.server_nonce, serverNonce), 'server_DH_params_ok nonces are not ours');
    return { show: { p: p.toString(), q: q.toString(), factor_ms: Math.round(factorMs * 10) / 10 }, answer };
  });

  // Step 3: open the encrypted answer and check dh_prime, g, g_a.
  const tmp = await mt.tmpAesKeyIv(serverNonce, newNonce);
  const dh = await timed('server_DH_inner_data checks', async () => {
    const plain = igeDecrypt(tmp.key, tmp.iv, dhParams.answer.encrypted_answer);
    const { value: inner, length } = schema.deserializePrefix(plain.subarray(20));
    expect(inner._ === 'server_DH_inner_data', `expected server_DH_inner_data, got ${inner._}`);
    expect(plain.length - 20 - length < 16, 'more than 15 bytes of padding after server_DH_inner_data');
    expect(equal(plain.subarray(0, 20), await sha1(plain.subarray(20, 20 + length))), 'the SHA-1 of server_DH_inner_data does not match');
    expect(equal(inner.nonce, nonce) && equal(inner.server_nonce, serverNonce), 'server_DH_inner_data nonces are not ours');
    const dhPrime = toBigInt(inner.dh_prime);
    const primeProblem = mt.checkDhParameters(dhPrime, inner.g, faults);
    expect(primeProblem === null, `dh_prime / g refused: ${primeProblem}`);
    const gA = toBigInt(inner.g_a);
    const gaProblem = faults.has('no-g-a-range-check') ? null : mt.checkPublicValue(gA, dhPrime);
    expect(gaProblem === null, `g_a refused: ${gaProblem}`);
    return {
      show: {
        g: inner.g,
        dh_prime_bits: dhPrime.toString(2).length,
        known_prime: dhPrime === mt.PUBLISHED_PRIME,
        g_a_bytes: inner.g_a.length,
        server_time: inner.server_time,
      },
      g: inner.g, serverTime: inner.server_time, dhPrime, gA,
    };
  });
  const timeOffset = dh.serverTime - Date.now() / 1000;

  // Step 4: g_b, set_client_DH_params -> dh_gen_ok (or retry with the previous key's aux_hash).
  let retryId = 0n;
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await timed('set_client_DH_params → dh_gen_ok', async () => {
      // A fresh b until g_b passes the same checks as g_a (a good prime needs one try; a prime let in by the fault
      // accept-any-dh-prime may never pass: bounded).
      let b, gB, tries = 0;
      do {
        expect(tries++ < 16, 'no g_b within the checks after 16 tries');
        b = toBigInt(random(256));
        gB = modPow(BigInt(dh.g), b, dh.dhPrime);
      } while (mt.checkPublicValue(gB, dh.dhPrime) !== null);
      const inner = schema.serialize({
        _: 'client_DH_inner_data',
        nonce,
        server_nonce: serverNonce,
        retry_id: retryId,
        g_b: fromBigInt(gB),
      });
      const withHash = concat(await sha1(inner), inner);
      const padded = concat(withHash, random((16 - (withHash.length % 16)) % 16));
      const answer = await call({
        _: 'set_client_DH_params',
        nonce,
        server_nonce: serverNonce,
        encrypted_data: igeEncrypt(tmp.key, tmp.iv, padded),
      });
      const authKey = fromBigInt(modPow(dh.gA, b, dh.dhPrime), 256);
      const ids = await mt.keyIds(authKey);
      expect(equal(answer.nonce, nonce) && equal(answer.server_nonce, serverNonce), `${answer._} nonces are not ours`);
      const show = {
        g_b_bytes: fromBigInt(gB).length,
        auth_key_id: mt.authKeyIdHex(ids.id),
        answer: answer._,
      };
      return { show, answer, authKey, ids };
    });
    const { answer, authKey, ids } = result;
    if (answer._ === 'dh_gen_ok') {
      expect(equal(answer.new_nonce_hash1, await mt.newNonceHash(newNonce, 1, ids.auxHash)), 'dh_gen_ok new_nonce_hash1 does not match');
      const salt = readInt64(newNonce.map((x, i) => (i < 8 ? x ^ serverNonce[i] : x)), 0);
      return { authKey, keyId: ids.id, salt, timeOffset };
    }
    if (answer._ === 'dh_gen_retry') {
      expect(equal(answer.new_nonce_hash2, await mt.newNonceHash(newNonce, 2, ids.auxHash)), 'dh_gen_retry new_nonce_hash2 does not match');
      retryId = readInt64(ids.auxHash, 0);
      continue;
    }
    throw new HandshakeError(`the server answered ${answer._}`);
  }
  throw new HandshakeError('five dh_gen_retry answers in a row');
}

function expect(condition, message) {
  if (!condition) throw new HandshakeError(message);
}

const fp = (value) => BigInt.asUintN(64, value).toString(16).padStart(16, '0');

/** Wraps message data as an unencrypted message (auth_key_id 0, msg_id, length). */
export function unencrypted(msgIds, data) {
  const length = new Uint8Array(4);
  new DataView(length.buffer).setInt32(0, data.length, true);
  return concat(new Uint8Array(8), int64(msgIds.next()), length, data);
}

/** The data of an unencrypted message, checked: auth_key_id 0, a server msg_id, a length that fits. */
export function openUnencrypted(packet) {
  if (packet.length < 20) throw new HandshakeError(`a ${packet.length}-byte answer is not an unencrypted message`);
  const view = new DataView(packet.buffer, packet.byteOffset, packet.length);
  if (view.getBigInt64(0, true) !== 0n) throw new HandshakeError('expected an unencrypted answer (auth_key_id 0)');
  if ((view.getBigInt64(8, true) & 3n) !== 1n) throw new HandshakeError('the answer\'s msg_id does not have a server response\'s low bits');
  const length = view.getInt32(16, true);
  if (length < 0 || length > packet.length - 20) throw new HandshakeError(`unencrypted message length ${length} does not fit`);
  return packet.slice(20, 20 + length);
}

export { MsgIdGenerator };
