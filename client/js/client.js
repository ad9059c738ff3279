// The browser client's connection logic: pin the server's RSA key, create or reuse the auth key, run the session
// over WebSocket or HTTP, and reconnect with back-off to the same key and session. The auth key is this tab's own,
// kept in sessionStorage; the pinned server key, and an identity the user chose to keep, in localStorage (see
// docs/browser.md, and the README for what that means outside a testbed).
import { equal, fromHex, hex, readInt32 } from './bytes.js';
import { pageFaults } from './faults.js';
import { createAuthKey, HandshakeError, MsgIdGenerator, openUnencrypted, unencrypted } from './handshake.js';
import * as mt from './mtproto.js';
import { Session } from './session.js';
import { TlSchema } from './tl.js';
import { HttpTransport, WebSocketTransport } from './transport.js';

const IDENTITY = 'testbed.identity';      // this tab's auth key, salt and clock offset
const PINNED = 'testbed.pinned-rsa-key';  // the server's RSA key as first seen, for every tab
const KEPT = 'testbed.kept-identity';     // the identity a new tab starts with, when the user kept one
const HTTP_WAIT = {
  _: 'http_wait',
  max_delay: 0,
  wait_after: 0,
  max_wait: 25000,
};

// The layer the browser client declares: the newest whose Config (config#cc1a241e) the server writes (docs/protocol.md §9.2).
const LAYER = 227;

// What the browser client says of itself in initConnection; the server keeps at most 64 characters of each string.
const INIT_CONNECTION = () => ({
  _: 'initConnection',
  api_id: 1,
  device_model: encoder.encode(navigator.userAgent),
  system_version: encoder.encode(navigator.platform ?? ''),
  app_version: encoder.encode('testbed browser client'),
  system_lang_code: encoder.encode(navigator.language ?? 'en'),
  lang_pack: new Uint8Array(0),
  lang_code: encoder.encode(navigator.language ?? 'en'),
});
const encoder = new TextEncoder();

/** A handshake step that got no usable answer: the network lost something, so a fresh handshake may succeed. */
class HandshakeLost extends Error {}

export class TestbedClient {
  /**
   * @param {{ origin?: string, transport?: 'websocket'|'websocket-plain'|'http', storage?: Storage, shared?: Storage,
   *           handshakeTimeoutMs?: number, handshakeAttempts?: number, endpoint?: object, on?: object }} options
   * storage holds this tab's identity (sessionStorage: a reload keeps it, another tab has its own); shared holds the
   * pinned key and a kept identity (localStorage). endpoint = {websocketUrl, rsaKeyPem, dc} names a server that is
   * not the page's origin (the conformance page's hostile server): its key is trusted as given, not pinned on first
   * use, and only the schema comes from the origin. on.status(text, state), on.step(step), on.packet(entry),
   * on.update(body), on.connected(reconnected), on.failed(error)
   */
  constructor({
    origin = location.origin,
    transport = 'websocket',
    storage = sessionStorage,
    shared = localStorage,
    handshakeTimeoutMs = 10000,
    handshakeAttempts = 3,
    endpoint = null,
    on = {},
  } = {}) {
    this.origin = origin;
    this.endpoint = endpoint;
    this.transportKind = transport;
    this.storage = storage;
    this.shared = shared;
    this.handshakeTimeoutMs = handshakeTimeoutMs;
    this.handshakeAttempts = handshakeAttempts;
    this.on = {
      status() {},
      step() {},
      packet() {},
      update() {},
      connected() {},
      failed() {},
      ...on,
    };
    this.session = null;
    this.stopped = false;
    this.handshakeMs = null;
    const kept = shared.getItem(KEPT);
    if (!storage.getItem(IDENTITY) && kept) storage.setItem(IDENTITY, kept);
  }

  /** This tab's identity, kept across reloads: the auth key, its id, the salt, the clock offset. */
  get saved() { return JSON.parse(this.storage.getItem(IDENTITY) ?? '{}'); }
  set saved(value) { this.storage.setItem(IDENTITY, JSON.stringify(value)); }

  /** Whether new tabs start as this tab's user. */
  get kept() {
    const { keyId } = this.saved;
    return keyId !== undefined && JSON.parse(this.shared.getItem(KEPT) ?? '{}').keyId === keyId;
  }

  /** Makes new tabs (and this browser after a restart) start as this tab's user, or stops doing so. */
  keep(yes) {
    if (yes) this.shared.setItem(KEPT, JSON.stringify(this.saved));
    else if (this.kept) this.shared.removeItem(KEPT);
  }

  /** Forgets this tab's auth key (the next start makes a new one); the pinned server key stays pinned. */
  forgetKey() {
    this.keep(false);
    this.storage.removeItem(IDENTITY);
  }

  /** Starts the client; refuses (FaultError) when the page's address names an unknown test fault (faults.js). */
  async start() {
    this.faults = pageFaults();
    const [info, schemaTl] = await Promise.all([
      this.endpoint ? { dataCenter: this.endpoint.dc } : fetch(`${this.origin}/server-info`).then((r) => r.json()),
      fetch(`${this.origin}/schema/testbed.tl`).then((r) => r.text()),
    ]);
    this.info = info;
    this.schema = new TlSchema(schemaTl);
    // Trust on first use: the key seen first is pinned; a server that later offers another one is refused.
    if (!this.endpoint && !this.shared.getItem(PINNED)) this.shared.setItem(PINNED, info.rsaKeys[0].pem);
    this.serverKey = mt.parseRsaPublicPem(this.endpoint?.rsaKeyPem ?? this.shared.getItem(PINNED));
    this.serverKey.fingerprint = await mt.rsaFingerprint(this.serverKey);
    await this.#connect(false);
  }

  /**
   * Calls a chat or service function. A session's first call goes inside invokeWithLayer(initConnection(…)), as real
   * clients send it (docs/protocol.md §9.1): the server records the layer and these strings for the session, and the
   * inspector shows them in that packet.
   */
  call(body) {
    if (this.session.identified) return this.session.call(body);
    this.session.identified = true;
    return this.session.call({ _: 'invokeWithLayer', layer: LAYER, query: { ...INIT_CONNECTION(), query: body } });
  }

  stop() {
    this.stopped = true;
    this.transport?.close();
  }

  async #openTransport() {
    if (this.transportKind === 'http') return new HttpTransport(`${this.origin}/api`);
    const url = this.endpoint?.websocketUrl ?? `${this.origin.replace(/^http/, 'ws')}/apiws`;
    return WebSocketTransport.connect(url, {
      obfuscated: this.transportKind !== 'websocket-plain',
      dcId: this.info.dataCenter ?? 1,
    });
  }

  async #connect(reconnecting) {
    this.on.status(reconnecting ? 'reconnecting…' : 'connecting…', 'connecting');
    const transport = await this.#openTransport();
    this.transport = transport;
    transport.onClose = (reason) => { if (!this.stopped && this.transport === transport) this.#reconnect(reason); };
    if (!this.saved.authKey && !(await this.#handshake(transport))) return;
    this.session ??= this.#newSession();
    this.session.attach(transport);
    this.on.status(`connected over ${transport.name}`, 'connected');
    if (transport.name === 'http') this.#poll(transport);
    await this.on.connected(reconnecting);
  }

  /** A session of this tab's auth key (a new session_id, its own msg_ids and seq_nos). */
  #newSession() {
    const saved = this.saved;
    return new Session({
      schema: this.schema,
      authKey: fromHex(saved.authKey),
      keyId: fromHex(saved.keyId),
      salt: BigInt(saved.salt),
      timeOffset: saved.timeOffset,
      onUpdate: (u) => this.on.update(u),
      onPacket: (p) => this.#packet(p),
      faults: this.faults,
    });
  }

  /**
   * Creates the auth key, with a fresh handshake when a step gets no answer in time or a transport error instead
   * (a packet lost on the way, a proxy that failed), at most handshakeAttempts in all. A failed check is final.
   * Returns whether a key was made; when not, the client has stopped and the status says what to check.
   */
  async #handshake(transport) {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const which = attempt === 1 ? '' : `, attempt ${attempt}/${this.handshakeAttempts}`;
      this.on.status(`creating an auth key${which}…`, 'connecting');
      try {
        await this.#createAuthKey(transport);
        return true;
      } catch (e) {
        if (!(e instanceof HandshakeLost)) throw e;
        this.on.step({
          name: 'lost',
          ms: performance.now() - started,
          values: { attempt: `${attempt}/${this.handshakeAttempts}`, problem: e.message },
        });
        const lastTry = attempt === this.handshakeAttempts || this.transport !== transport || !transport.isOpen;
        if (lastTry) {
          this.stopped = true;
          this.transport?.close();
          const check = `Check that the server is running and reachable at ${this.origin} and that nothing in between `
            + '(a proxy, a firewall) drops packets, then reload.';
          this.on.status(`no auth key after ${attempt} attempt(s): ${e.message}. ${check}`, 'failed');
          return false;
        }
        this.on.status(`${e.message}, retrying ${attempt + 1}/${this.handshakeAttempts}`, 'connecting');
      }
    }
  }

  async #createAuthKey(transport) {
    const started = performance.now();
    const key = await createAuthKey({
      schema: this.schema,
      exchange: this.#exchange(transport),
      serverKey: this.serverKey,
      dc: this.info.dataCenter ?? 1,
      onStep: (s) => this.on.step(s),
      faults: this.faults,
    });
    this.handshakeMs = performance.now() - started;
    this.on.step({
      name: 'auth key ready',
      ms: this.handshakeMs,
      values: { auth_key_id: mt.authKeyIdHex(key.keyId), total_ms: Math.round(this.handshakeMs) },
    });
    this.saved = {
      authKey: hex(key.authKey),
      keyId: hex(key.keyId),
      salt: key.salt.toString(),
      timeOffset: key.timeOffset,
    };
    this.session = null;
  }

  /**
   * One handshake's exchange over `transport`: sends an unencrypted message, resolves with the answer's data. Throws
   * HandshakeLost when no answer comes within handshakeTimeoutMs or a transport error comes instead. An answer
   * whose nonce is not this query's belongs to an abandoned attempt (it arrived after its timeout) and is ignored.
   */
  #exchange(transport) {
    const msgIds = new MsgIdGenerator();
    const seconds = this.handshakeTimeoutMs / 1000;
    return (data) => new Promise((resolve, reject) => {
      const query = this.schema.deserialize(data);
      const lost = () => reject(new HandshakeLost(`no answer to ${query._} after ${seconds} s`));
      const timer = setTimeout(lost, this.handshakeTimeoutMs);
      const settle = (settler, value) => { clearTimeout(timer); settler(value); };
      transport.onPacket = (packet) => {
        if (packet.length === 4) {
          settle(reject, new HandshakeLost(`transport error ${readInt32(packet, 0)} in answer to ${query._}`));
          return;
        }
        let answer;
        try {
          answer = openUnencrypted(packet);
        } catch (e) {
          settle(reject, e);
          return;
        }
        const body = this.schema.deserialize(answer);
        const entry = {
          direction: 'in',
          transport: transport.name,
          size: packet.length,
          wire: packet,
          handshake: true,
          body,
        };
        if (!equal(body.nonce, query.nonce)) {
          this.#packet({ ...entry, refused: 'an answer to an abandoned handshake attempt' });
          return;
        }
        this.#packet(entry);
        settle(resolve, answer);
      };
      const packet = unencrypted(msgIds, data);
      this.#packet({
        direction: 'out',
        transport: transport.name,
        size: packet.length,
        wire: packet,
        handshake: true,
        body: query,
      });
      transport.send(packet).catch((e) => settle(reject, new HandshakeLost(`${query._} not sent: ${e.message}`)));
    });
  }

  #packet(entry) {
    // A stored key the server no longer knows (its data was wiped): start over with a new key.
    if (entry.transportError === -404 && !entry.handshake && this.session) {
      this.on.status('the server does not know this auth key: creating a new one', 'connecting');
      this.forgetKey();
      this.session = null;
      this.transport?.close();
    }
    this.on.packet(entry);
  }

  /**
   * Long polling over HTTP, in a session of its own: a held http_wait would stop the main session's queue (each of
   * its POSTs waits for the previous answer, see Session#send) for up to 25 s. Acknowledgements of what a poll
   * brought go out before the next poll, for the same reason.
   */
  async #poll(transport) {
    const poller = this.#newSession();
    poller.attach(new HttpTransport(`${this.origin}/api`));
    while (!this.stopped && this.transport === transport) {
      try {
        await poller.notify(HTTP_WAIT); // returns when the long poll is answered
        await poller.flushAcks();
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async #reconnect(reason) {
    this.session?.failPending(new Error(`connection lost: ${reason}`));
    for (let attempt = 0, delay = 500; !this.stopped; attempt++, delay = Math.min(delay * 2, 8000)) {
      this.on.status(`disconnected (${reason}); retrying in ${(delay / 1000).toFixed(1)} s`, 'disconnected');
      await new Promise((r) => setTimeout(r, delay));
      try {
        await this.#connect(true);
        return;
      } catch (e) {
        if (e instanceof HandshakeError) { this.stopped = true; this.on.failed(e); return; } // refusing the server is final
        reason = e.message;
      }
    }
  }
}
