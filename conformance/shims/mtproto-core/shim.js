'use strict';
// The @mtproto/core shim: see ../common/driver.js for the contract. @mtproto/core 6.3.0 documents no hook for a
// custom DC or RSA key (its DC lists and keys are constants in src/index.js and src/utils/rsa/index.js), so the shim
// sets the instance's `dcList` and replaces the key lookup (RSA.prototype.getRsaKeyByFingerprints) with one that
// knows only our key. Its transport is the stock one: obfuscated intermediate over TCP (envs/node/transport.js), and
// it still encrypts p_q_inner_data the pre-RSA_PAD way, which the server accepts only with AcceptLegacyRsa. Every
// call goes out as invokeWithLayer(158, initConnection(...)) (src/rpc/index.js, call); the library keeps its key in a
// configstore JSON file (the session file's name with .json).
const bigInt = require('big-integer');
const MTProto = require('@mtproto/core');
const RSA = require('@mtproto/core/src/utils/rsa');
const builderMap = require('@mtproto/core/src/tl/builder');
const parserMap = require('@mtproto/core/src/tl/parser');
const Serializer = require('@mtproto/core/src/tl/serializer');
const { main, installedVersion } = require('../common/driver');

const RAW = 'testbed.raw';

/** Our queries' bytes go out as they are; chat.user is read back (our chat layer is not in its schema). */
function extendSchema() {
  builderMap[RAW] = function raw(params) { this.bytesRaw(params.body); };
  parserMap.set(0x7360f4ce, function chatUser() { return { _: 'chat.user', id: this.long(), name: this.string(), online: this.predicate() }; });
}

function useOnlyKey(rsaKey) {
  RSA.prototype.getRsaKeyByFingerprints = async function onlyOurKey(fingerprints) {
    const fingerprint = fingerprints.find((f) => BigInt.asUintN(64, BigInt(bigInt(f).toString())) === rsaKey.fingerprint);
    return fingerprint === undefined ? null : { fingerprint, modulus: rsaKey.nHex, exponent: rsaKey.eHex };
  };
}

async function until(condition, seconds, what) {
  for (let waited = 0; !(await condition()); waited += 50) {
    if (waited > seconds * 1000) throw new Error(`${what} within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function open(options) {
  extendSchema();
  useOnlyKey(options.rsaKey);
  const mtproto = new MTProto({ api_id: 1, api_hash: '00000000000000000000000000000000', storageOptions: { path: `${options.session}.json` } });
  mtproto.dcList = [{ id: options.dc, ip: options.host, port: options.port }];
  await mtproto.setDefaultDc(options.dc);
  const rpc = mtproto.getRPC(options.dc);
  await until(() => rpc.isReady, 15, 'no auth key');
  const pongs = new Map();
  mtproto.updates.on('mt_pong', (message) => pongs.get(message.ping_id.toString())?.(message.ping_id.toString()));
  const socket = () => rpc.transport.socket;
  return {
    authKey: async () => Buffer.from(await rpc.getStorageItem('authKey')),
    ping: (id) => new Promise((resolve) => {
      pongs.set(id.toString(), resolve);
      rpc.sendEncryptedMessage(new Serializer(builderMap.mt_ping, { ping_id: id.toString() }).getBytes());
    }),
    invoke: async (request) => ({ result: (await mtproto.call(RAW, { body: request.body }, { dcId: options.dc }))._ }),
    cut: async () => {
      socket().destroy();
      await until(() => socket().writable && rpc.isReady, 10, 'no reconnection');
    },
    close: async () => {
      socket().removeAllListeners('close');
      socket().destroy();
    },
  };
}

main({
  client: '@mtproto/core',
  version: installedVersion(__dirname, '@mtproto/core'),
  transports: ['obfuscated'],
  fixes: {},
  open,
});
