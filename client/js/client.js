// The browser client's connection logic: pin the server's RSA key, create or reuse the auth key, run the session
// over WebSocket or HTTP, and reconnect with back-off to the same key and session. The auth key is kept in
// localStorage (see the README for what that means outside a testbed).
import { fromHex, hex, readInt32 } from './bytes.js';
import { createAuthKey, HandshakeError, MsgIdGenerator, openUnencrypted, unencrypted } from './handshake.js';
import * as mt from './mtproto.js';
import { Session } from './session.js';
import { TlSchema } from './tl.js';
import { HttpTransport, WebSocketTransport } from './transport.js';

const STORE = 'testbed.v1';
const HTTP_WAIT = { _: 'http_wait', max_delay: 0, wait_after: 0, max_wait: 25000 };

export class TestbedClient {
  /**
   * @param {{ origin?: string, transport?: 'websocket'|'http', storage?: Storage, on?: object }} options
   * on.status(text, state), on.step(step), on.packet(entry), on.update(body), on.connected(reconnected), on.failed(error)
   */
  constructor({ origin = location.origin, transport = 'websocket', storage = localStorage, on = {} } = {}) {
    this.origin = origin;
    this.transportKind = transport;
    this.storage = storage;
    this.on = { status() {}, step() {}, packet() {}, update() {}, connected() {}, failed() {}, ...on };
    this.session = null;
    this.stopped = false;
    this.handshakeMs = null;
  }

  /** What is kept across reloads: the pinned key, the auth key, the salt, the clock offset. */
  get saved() { return JSON.parse(this.storage.getItem(STORE) ?? '{}'); }
  set saved(value) { this.storage.setItem(STORE, JSON.stringify(value)); }

  /** Forgets the auth key (the next start makes a new one); the pinned server key stays pinned. */
  forgetKey() {
    const { pinnedPem } = this.saved;
    this.saved = { pinnedPem };
  }

  async start() {
    const [info, mtprotoTl, chatTl] = await Promise.all([
      fetch(`${this.origin}/server-info`).then((r) => r.json()),
      fetch(`${this.origin}/schema/mtproto.tl`).then((r) => r.text()),
      fetch(`${this.origin}/schema/chat.tl`).then((r) => r.text()),
    ]);
    this.info = info;
    this.schema = new TlSchema(`${mtprotoTl}\n${chatTl}`);
    // Trust on first use: the key seen first is pinned; a server that later offers another one is refused.
    const saved = this.saved;
    if (!saved.pinnedPem) this.saved = { ...saved, pinnedPem: info.rsaKeys[0].pem };
    this.serverKey = mt.parseRsaPublicPem(this.saved.pinnedPem);
    this.serverKey.fingerprint = await mt.rsaFingerprint(this.serverKey);
    await this.#connect(false);
  }

  /** Calls a chat or service function. */
  call(body) { return this.session.call(body); }

  stop() {
    this.stopped = true;
    this.transport?.close();
  }

  async #openTransport() {
    if (this.transportKind === 'http') return new HttpTransport(`${this.origin}/api`);
    return WebSocketTransport.connect(`${this.origin.replace(/^http/, 'ws')}/apiws`);
  }

  async #connect(reconnecting) {
    this.on.status(reconnecting ? 'reconnecting…' : 'connecting…', 'connecting');
    const transport = await this.#openTransport();
    this.transport = transport;
    transport.onClose = (reason) => { if (!this.stopped && this.transport === transport) this.#reconnect(reason); };
    if (!this.saved.authKey) await this.#handshake(transport);
    const saved = this.saved;
    if (!this.session) {
      this.session = new Session({
        schema: this.schema, authKey: fromHex(saved.authKey), keyId: fromHex(saved.keyId), salt: BigInt(saved.salt),
        timeOffset: saved.timeOffset, onUpdate: (u) => this.on.update(u), onPacket: (p) => this.#packet(p),
      });
    }
    this.session.attach(transport);
    this.on.status(`connected over ${transport.name}`, 'connected');
    if (transport.name === 'http') this.#poll(transport);
    await this.on.connected(reconnecting);
  }

  async #handshake(transport) {
    this.on.status('creating an auth key…', 'connecting');
    const msgIds = new MsgIdGenerator();
    const exchange = (data) => new Promise((resolve, reject) => {
      transport.onPacket = (packet) => {
        if (packet.length === 4) { reject(new Error(`the server refused with transport error ${readInt32(packet, 0)}`)); return; }
        resolve(packet);
      };
      const packet = unencrypted(msgIds, data);
      this.#packet({ direction: 'out', transport: transport.name, size: packet.length, wire: packet, handshake: true, body: this.schema.deserialize(data) });
      transport.send(packet).catch(reject);
    }).then((packet) => {
      const answer = openUnencrypted(packet);
      this.#packet({ direction: 'in', transport: transport.name, size: packet.length, wire: packet, handshake: true, body: this.schema.deserialize(answer) });
      return answer;
    });
    const started = performance.now();
    const key = await createAuthKey({ schema: this.schema, exchange, serverKey: this.serverKey, dc: this.info.dataCenter ?? 1, onStep: (s) => this.on.step(s) });
    this.handshakeMs = performance.now() - started;
    this.on.step({ name: 'auth key ready', ms: this.handshakeMs, values: { auth_key_id: mt.authKeyIdHex(key.keyId), total_ms: Math.round(this.handshakeMs) } });
    this.saved = { ...this.saved, authKey: hex(key.authKey), keyId: hex(key.keyId), salt: key.salt.toString(), timeOffset: key.timeOffset };
    this.session = null;
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

  async #poll(transport) {
    while (!this.stopped && this.transport === transport) {
      try {
        await this.session.notify(HTTP_WAIT); // returns when the long poll is answered
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
