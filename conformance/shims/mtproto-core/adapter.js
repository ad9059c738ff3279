'use strict';
// The @mtproto/core adapter, used by the interop shim (shim.js, ../common/driver.js) and the client shim
// (client-shim.js, ../common/client-driver.js). @mtproto/core 6.3.0 documents no hook for a custom DC or RSA key (its
// DC lists and keys are constants in src/index.js and src/utils/rsa/index.js), so the adapter sets the instance's
// `dcList` and replaces the key lookup (RSA.prototype.getRsaKeyByFingerprints) with one that knows only our key. Its
// transport is the stock one: obfuscated intermediate over TCP (envs/node/transport.js), and it still encrypts
// p_q_inner_data the pre-RSA_PAD way, which the server accepts only with AcceptLegacyRsa. Every call goes out as
// invokeWithLayer(158, initConnection(...)) (src/rpc/index.js, call); the library keeps its key in a configstore JSON
// file (the session file's name with .json, or a fresh temporary folder when there is no session file). Whatever
// message is neither a result nor a service message reaches the user as the `updates` event of its TL name
// (src/rpc/index.js, handleDecryptedMessage).
const fs = require('fs');
const os = require('os');
const path = require('path');
const bigInt = require('big-integer');
const MTProto = require('@mtproto/core');
const RSA = require('@mtproto/core/src/utils/rsa');
const builderMap = require('@mtproto/core/src/tl/builder');
const parserMap = require('@mtproto/core/src/tl/parser');
const Serializer = require('@mtproto/core/src/tl/serializer');
const { installedVersion } = require('../common/driver');

const RAW = 'testbed.raw';

/** The constructors of the API's Updates type (core.telegram.org/type/Updates), the events a user listens to. */
const UPDATES = ['updatesTooLong', 'updateShortMessage', 'updateShortChatMessage', 'updateShort', 'updatesCombined', 'updates', 'updateShortSentMessage'];

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

/** A configstore file of its own for a run without a session file: removed when the process exits. */
function temporaryStore() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mtproto-core-shim-'));
  process.on('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
  return path.join(folder, 'session.json');
}

async function open(options) {
  extendSchema();
  useOnlyKey(options.rsaKey);
  const store = options.session ? `${options.session}.json` : temporaryStore();
  const mtproto = new MTProto({ api_id: 1, api_hash: '00000000000000000000000000000000', storageOptions: { path: store } });
  for (const name of UPDATES) mtproto.updates.on(name, (update) => options.onUpdate?.({ name, date: update.date }));
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
    nearestDc: async () => {
      const result = await mtproto.call('help.getNearestDc', {}, { dcId: options.dc });
      return { name: result._, country: result.country, this_dc: result.this_dc, nearest_dc: result.nearest_dc };
    },
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

module.exports = {
  client: '@mtproto/core',
  version: installedVersion(__dirname, '@mtproto/core'),
  transports: ['tcp/obfuscated-intermediate'],
  fixes: {},
  open,
};
