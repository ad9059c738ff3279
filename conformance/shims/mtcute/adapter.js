'use strict';
// The mtcute adapter (npm `@mtcute/node`), used by the interop shim (shim.js, ../common/driver.js) and the client
// shim (client-shim.js, ../common/client-driver.js). Its documented hooks: the client option `defaultDcs` for our
// address, `addPublicKey` (@mtcute/core/utils.js) for our RSA key, and a `transport` whose `packetCodec()` picks the
// framing (node/utils/tcp.js's TcpTransport speaks intermediate). Its storage is mtcute's MemoryStorage, given the
// saved key through the storage API before connecting: the SQLite storage would need better-sqlite3 compiled at
// install (over a minute of CI), and the key is all a reconnect needs. mtcute wraps the first call of each session in
// invokeWithLayer(initConnection(...)) itself (network/session-connection.js, sendRpc). It runs with disableUpdates
// (its connect() would otherwise call updates.getState), and then hands its user no update: the session drops them
// ("received updates, but updates are disabled", network/session-connection.js, _handleMessage).
const { BaseTelegramClient, MemoryStorage, TcpTransport, IntermediatePacketCodec, PaddedIntermediatePacketCodec, ObfuscatedPacketCodec } = require('@mtcute/node');
const { addPublicKey } = require('@mtcute/core/utils.js');
const { installedVersion } = require('../common/driver');

/** The contract's transport/framing pairs (docs/client-shims.md), TcpTransport's own (intermediate) first. */
const CODECS = {
  'tcp/intermediate': () => new IntermediatePacketCodec(),
  'tcp/padded': () => new PaddedIntermediatePacketCodec(),
  'tcp/obfuscated-intermediate': () => new ObfuscatedPacketCodec(new IntermediatePacketCodec()),
  'tcp/obfuscated-padded': () => new ObfuscatedPacketCodec(new PaddedIntermediatePacketCodec()),
};

const RAW = 'testbed.raw';
const MSGS_ACK = 0x62d6b459;

/** Our queries' bytes go out as they are; their results come back as bytes (our chat layer is not in mtcute's schema). */
function extendMaps(client) {
  const { _writerMap: writers, _readerMap: readers } = client.mt;
  writers[RAW] = (writer, object) => writer.raw(object.body);
  readers[0x7360f4ce] = (reader) => ({ _: 'chat.user', id: reader.long(), name: reader.string(), online: reader.boolean() });
}

async function open(options, savedKey = null) {
  const framing = CODECS[options.transport];
  let socket = null;
  class Transport extends TcpTransport {
    packetCodec() { return framing(); }

    async connect(dc) {
      socket = await super.connect(dc);
      return socket;
    }
  }
  const dc = { id: options.dc, ipAddress: options.host, port: options.port };
  const client = new BaseTelegramClient({
    apiId: 1, apiHash: '00000000000000000000000000000000', storage: new MemoryStorage(),
    defaultDcs: { main: dc, media: dc }, transport: new Transport(), disableUpdates: true, logLevel: Number(process.env.SHIM_LOG || 0),
    initConnectionOptions: { deviceModel: 'testbed interop shim', appVersion: '1.0' },
  });
  addPublicKey(client.crypto, options.rsaKey.pem);
  extendMaps(client);
  // connect() resolves after mtcute's own first call (help.getNearestDc, wrapped in initConnection); the handshake
  // is done once the key is in storage, which is what this step reports. connect()'s own outcome is awaited by the
  // first call of the scenario that needs the connection.
  await client.prepare();
  if (savedKey) await client.mt.storage.provider.authKeys.set(options.dc, savedKey);
  const connected = client.connect();
  connected.catch(() => {});
  const stored = () => client.mt.storage.provider.authKeys.get(options.dc);
  for (let waited = 0; !(await stored()); waited += 50) {
    if (waited > 15000) throw new Error('no auth key within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    authKey: async () => { const key = await stored(); return key && Buffer.from(key); },
    ping: () => ownPing(client),
    invoke: async (request) => ({ result: (await client.call({ _: RAW, body: request.body }))._ }),
    nearestDc: async () => {
      const result = await client.call({ _: 'help.getNearestDc' });
      return { name: result._, country: result.country, this_dc: result.thisDc, nearest_dc: result.nearestDc };
    },
    cut: async () => socket.close(),
    close: () => client.destroy(),
  };
}

module.exports = {
  client: '@mtcute/node',
  version: installedVersion(__dirname, '@mtcute/node'),
  transports: Object.keys(CODECS),
  ownPingIds: true,
  fixes: {
    // mtcute 0.30.3 writes its msgs_ack with writeMessage's default isContentRelated = true
    // (network/session-connection.js, _flush: `this._session.writeMessage(writer, ackRequest)`), so each ack has an
    // odd seq_no; a strict server answers bad_msg_notification 34 and mtcute resets its session. The one-line fix
    // sends acks as not content-related, as the spec says (core.telegram.org/mtproto/description, "Message Sequence Number").
    'acks-not-content-related': () => patchWriteMessage(),
  },
  open,
};

/**
 * One round trip of mtcute's own ping (ping_delay_disconnect, sent by its flush when the last ping is old enough;
 * network/session-connection.js, _flush): mtcute matches a pong only to a ping it sent itself (_onPong), so a ping
 * sent through call() would never be answered to the caller. Its ping_id is mtcute's (random), not the step's: the
 * pong's ping_id is returned as mtcute got it. mtcute does not re-send a ping that failed (bad_server_salt on a new
 * connection with a saved key: _onMessageFailed), so the ping is made due again every second, four times at most.
 */
async function ownPing(client) {
  const connection = client.mt.network._primaryDc.main._connections[0];
  const onPong = connection._onPong;
  let answered;
  const pong = new Promise((resolve) => { answered = resolve; });
  connection._onPong = function ponged(message) {
    onPong.call(this, message);
    answered(message.pingId.toString());
  };
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      connection._session.resetLastPing();
      connection._session.lastPingTime = Number.NEGATIVE_INFINITY; // due now (the flush compares with performance.now())
      connection._flushTimer.emitNow();
      const pingId = await Promise.race([pong, new Promise((resolve) => setTimeout(resolve, 1000, null))]);
      if (pingId !== null) return pingId;
    }
    throw new Error('no pong to four of mtcute\'s pings');
  } finally {
    connection._onPong = onPong;
  }
}

function patchWriteMessage() {
  // The session class is not among the package's exports; its own file is required by path, the same module
  // instance the client loads (the require cache is keyed by the resolved file).
  const { MtprotoSession } = require(require.resolve('@mtcute/core').replace(/index\.cjs$/, 'network/mtproto-session.cjs'));
  const original = MtprotoSession.prototype.writeMessage;
  MtprotoSession.prototype.writeMessage = function writeMessage(writer, content, isContentRelated = true) {
    const isAck = ArrayBuffer.isView(content) && content.length >= 4 && new DataView(content.buffer, content.byteOffset).getUint32(0, true) === MSGS_ACK;
    return original.call(this, writer, content, isAck ? false : isContentRelated);
  };
}
