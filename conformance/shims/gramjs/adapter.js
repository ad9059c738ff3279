'use strict';
// The gramjs adapter (npm `telegram`), used by the interop shim (shim.js, ../common/driver.js) and the client shim
// (client-shim.js, ../common/client-driver.js). gramjs's TelegramClient.connect dials port 443 or 80 whatever the
// session says (client/TelegramClient.js, connect), so the adapter uses the layer below it, which gramjs exports for
// this (`telegram/network`): an MTProtoSender over a Connection class of the chosen framing, on gramjs's own TCP or
// WebSocket socket. The server's key goes into gramjs's key table, `_serverKeys` of crypto/RSA.js, keyed by the
// signed fingerprint as gramjs reads it from resPQ. Updates reach the user through the sender's updateCallback
// (network/MTProtoSender.js, _handleUpdate: every object of the Updates type).
const bigInt = require('big-integer');
const { Api } = require('telegram');
const { LAYER } = require('telegram/tl/AllTLObjects');
const { MTProtoSender, ConnectionTCPFull, ConnectionTCPAbridged, ConnectionTCPObfuscated } = require('telegram/network');
const { PromisedNetSockets, PromisedWebSockets, Logger } = require('telegram/extensions');
const { AuthKey } = require('telegram/crypto/AuthKey');
const { _serverKeys } = require('telegram/crypto/RSA');
const { installedVersion } = require('../common/driver');
const { describeResult } = require('../common/tl');

/** The contract's transport/framing pairs (docs/client-shims.md), TelegramClient's node default (TCP full) first. */
const TRANSPORTS = {
  'tcp/full': [ConnectionTCPFull, PromisedNetSockets],
  'tcp/abridged': [ConnectionTCPAbridged, PromisedNetSockets],
  'tcp/obfuscated-abridged': [ConnectionTCPObfuscated, PromisedNetSockets],
  'ws/obfuscated-abridged': [ConnectionTCPObfuscated, PromisedWebSockets],
  'ws/full': [ConnectionTCPFull, PromisedWebSockets],
  'ws/abridged': [ConnectionTCPAbridged, PromisedWebSockets],
};

/**
 * A query whose bytes the shim made (our chat layer is not in gramjs's schema), shaped as gramjs's requests are:
 * MTProtoSender only asks a request for its bytes and, for the rpc_result, to read its answer.
 */
function rawRequest(body) {
  return { CONSTRUCTOR_ID: body.readUInt32LE(0), classType: 'request', className: 'raw', getBytes: () => body, readResult: (reader) => reader.read() };
}

/** invokeWithLayer(initConnection(query)), as gramjs wraps its first call (client/telegramBaseClient.js, _initRequest). */
function wrapped(query) {
  const init = new Api.InitConnection({
    apiId: 1, deviceModel: 'testbed shim', systemVersion: process.version, appVersion: '1.0', langCode: 'en',
    langPack: '', systemLangCode: 'en', query,
  });
  return new Api.InvokeWithLayer({ layer: LAYER, query: init });
}

/** A TL object's constructor name as the schema spells it: gramjs's class name with its first letter lowered. */
function tlName(object) {
  return object.className[0].toLowerCase() + object.className.slice(1);
}

async function open(options, savedKey = null) {
  _serverKeys.set(options.rsaKey.fingerprintSigned, { n: bigInt(options.rsaKey.n.toString()), e: Number(options.rsaKey.e) });
  const [Connection, Socket] = TRANSPORTS[options.transport];
  const authKey = new AuthKey();
  if (savedKey) await authKey.setKey(savedKey);
  const logger = new Logger(process.env.SHIM_LOG || 'none');
  const client = { networkSocket: Socket, _errorHandler: undefined };
  // The callback also gets gramjs's own UpdateConnectionState, which is no TL object (it has no CONSTRUCTOR_ID).
  const updateCallback = (_, update) => {
    if (update.CONSTRUCTOR_ID !== undefined) options.onUpdate?.({ name: tlName(update), date: update.date });
  };
  const sender = new MTProtoSender(authKey, {
    logger, dcId: options.dc, retries: 1, delay: 1000, autoReconnect: true, connectTimeout: 10, reconnectRetries: 5,
    isMainSender: true, client, updateCallback, authKeyCallback: () => {}, autoReconnectCallback: () => {},
    _exportedSenderPromises: new Map(), securityChecks: true,
  });
  const connection = new Connection({ ip: options.host, port: options.port, dcId: options.dc, loggers: logger, socket: Socket, testServers: false });
  if (!(await sender.connect(connection, false))) throw new Error('gramjs did not connect');
  return {
    authKey: () => sender.authKey.getKey(),
    ping: async (id) => (await sender.send(new Api.Ping({ pingId: bigInt(id.toString()) }))).pingId.toString(),
    invoke: async (request) => describeResult(await sender.send(rawRequest(wrapped(rawRequest(request.body)).getBytes()))),
    nearestDc: async () => {
      const result = await sender.send(wrapped(new Api.help.GetNearestDc()));
      return { name: tlName(result), country: result.country, this_dc: result.thisDc, nearest_dc: result.nearestDc };
    },
    futureSalts: async (n) => (await sender.send(new Api.GetFutureSalts({ num: n }))).salts.length,
    cut: async () => {
      const socket = sender._connection.socket.client;
      if (typeof socket.destroy === 'function') socket.destroy();
      else socket.close();
    },
    close: () => sender.disconnect(),
  };
}

module.exports = {
  client: 'telegram',
  version: installedVersion(__dirname, 'telegram'),
  transports: Object.keys(TRANSPORTS),
  fixes: {
    // gramjs 2.26.22 reads future_salts' bare vector through `api.constructors[arg.type]` (tl/api.js,
    // getArgFromReader), and its Api object has no `constructors`: a TypeError in the receive loop, which gramjs
    // answers by reconnecting. The first line gives it the table it looks for. Once parsed, future_salts is matched
    // to its request by the server message's own msg_id instead of its req_msg_id (network/MTProtoSender.js,
    // _handleFutureSalts), so the answer never reaches the caller: the second line matches it by req_msg_id.
    'future-salts': () => {
      Api.constructors = { FutureSalt: Api.FutureSalt };
      MTProtoSender.prototype._handleFutureSalts = async function handleFutureSalts(message) {
        const state = this._pendingState.getAndDelete(message.obj.reqMsgId);
        if (state) state.resolve(message.obj);
      };
    },
  },
  open,
};
