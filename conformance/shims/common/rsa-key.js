'use strict';
// The server's RSA public key in the forms the clients' hooks take. Its fingerprint is MTProto's: the low 64 bits of
// SHA-1 of the TL serialisation `n:bytes e:bytes`, read little-endian (docs/protocol.md §5.2,
// core.telegram.org/mtproto/auth_key).
const crypto = require('crypto');
const { tlBytes } = require('./tl');

function rsaKeyFromPem(pem) {
  const jwk = crypto.createPublicKey(pem).export({ format: 'jwk' });
  const n = Buffer.from(jwk.n, 'base64url');
  const e = Buffer.from(jwk.e, 'base64url');
  const digest = crypto.createHash('sha1').update(Buffer.concat([tlBytes(n), tlBytes(e)])).digest();
  const fingerprint = digest.readBigUInt64LE(12);
  return {
    pem,
    n: BigInt('0x' + n.toString('hex')),
    e: BigInt('0x' + e.toString('hex')),
    nHex: n.toString('hex'),
    eHex: e.toString('hex'),
    /** unsigned, as a BigInt */
    fingerprint,
    /** signed decimal, as gramjs keys its table */
    fingerprintSigned: BigInt.asIntN(64, fingerprint).toString(),
  };
}

module.exports = { rsaKeyFromPem };
