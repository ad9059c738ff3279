// An encrypted session as a careful client runs it (docs/protocol.md §3, §8): msg_ids from the server-corrected
// clock, seq_nos, the salt (bad_server_salt and re-sends), new_session_created, acknowledgements for content-related
// server messages, containers and gzip_packed, bad_msg_notification 16/17 time correction, msg_resend_req, RPC calls
// matched to rpc_result. Every packet, both ways, is reported to the inspector with the checks it passed or why it
// was refused. The checks are the client rules R2..R6 of the client suite (docs/client-shims.md, docs/browser.md
// §5); the test faults of faults.js each remove one of them, at the line that makes the check.
import { concat, hex, random, readInt32, readInt64 } from './bytes.js';
import * as mt from './mtproto.js';
import { MsgIdGenerator, msgIdClass, msgIdSeconds } from './msgid.js';

export class RpcError extends Error {
  constructor(code, message) { super(`${code} ${message}`); this.code = code; this.errorMessage = message; }
}

const NOT_CONTENT_RELATED = new Set(['msgs_ack', 'msg_container', 'msg_copy', 'gzip_packed']);
const MAX_PAST_SECONDS = 300;
const MAX_FUTURE_SECONDS = 30;
/** The most a gzip_packed may unpack to: a larger one is dropped as soon as its output passes this (R6). */
export const MAX_UNPACKED_BYTES = 16 << 20;

export class Session {
  /**
   * @param {{schema, authKey: Uint8Array, keyId: Uint8Array, salt: bigint, timeOffset: number,
   *          onUpdate?: Function, onPacket?: Function, faults?: Set<string>}} options
   */
  constructor({ schema, authKey, keyId, salt, timeOffset, onUpdate = () => {}, onPacket = () => {}, faults = new Set() }) {
    this.schema = schema;
    this.authKey = authKey;
    this.keyId = keyId;
    this.salt = salt;
    this.sessionId = readInt64(random(8), 0);
    this.msgIds = new MsgIdGenerator(timeOffset);
    this.seqNo = 0;
    this.pending = new Map();       // msg_id -> {body, resolve, reject, resends, msgId, seqNo}
    this.seen = new Set();          // server msg_ids already handled (re-sends are acknowledged, not handled twice)
    this.seenOrder = [];
    this.acks = [];
    this.onUpdate = onUpdate;
    this.onPacket = onPacket;
    this.transport = null;
    this.faults = faults;
    this.lastOuterMsgId = null;     // the last accepted packet's outer msg_id on this connection (R3's order rule)
  }

  /** The delivery of the last message handed to the transport (see #send). */
  #outgoing = Promise.resolve();

  /** Moves the session to a (new) transport: same key, same session. */
  attach(transport) {
    this.transport = transport;
    this.lastOuterMsgId = null;
    transport.onPacket = (packet) => this.#receive(packet).catch((e) => this.onPacket({
      direction: 'in',
      size: packet.length,
      refused: `client bug: ${e.message}`,
    }));
  }

  /** Calls a function; resolves with its result, rejects with RpcError for rpc_error. */
  call(body) {
    return new Promise((resolve, reject) => {
      const request = { body, resolve, reject, resends: 0 };
      this.#sendRequest(request).catch(reject);
    });
  }

  /** Sends a message that expects no answer of its own; over HTTP, resolves when the POST has been answered. */
  async notify(body) {
    const { msgId, sending } = await this.#send(body);
    await sending;
    return msgId;
  }

  #nextSeqNo(contentRelated) {
    const seqNo = this.seqNo * 2 + (contentRelated ? 1 : 0);
    if (contentRelated) this.seqNo++;
    return seqNo;
  }

  /**
   * Sends one message; resolves with its msg_id and `sending` (settles when the transport has delivered it; over
   * HTTP, when its answer has been handled). Messages leave one at a time in msg_id order: each waits until the one
   * before has been delivered. Over HTTP every POST is a request of its own, and two in flight can reach the server
   * in either order — the later msg_id first makes the server refuse the earlier one (strict order, docs/protocol.md
   * §3.7 step 5). Over a WebSocket the wait ends at once, and the queue only keeps msg_ids made before an await in
   * order.
   */
  #send(body, sameHeader = null) {
    const turn = this.#outgoing.then(() => this.#seal(body, sameHeader));
    this.#outgoing = turn.then(({ sending }) => sending).catch(() => {});
    return turn;
  }

  /** Encrypts and hands over one message: a new msg_id and seq_no, or `sameHeader`'s (only resend-same-header). */
  async #seal(body, sameHeader) {
    const data = this.schema.serialize(body);
    const header = {
      salt: this.salt,
      sessionId: this.sessionId,
      ...(sameHeader ?? { msgId: this.msgIds.next(), seqNo: this.#nextSeqNo(this.#contentRelated(body)) }),
    };
    const wire = await mt.encryptMessage(this.authKey, this.keyId, mt.CLIENT_TO_SERVER, header, data);
    this.onPacket({
      direction: 'out',
      transport: this.transport.name,
      msgId: header.msgId,
      seqNo: header.seqNo,
      msgKey: hex(wire.subarray(8, 24)),
      size: wire.length,
      wire,
      body,
    });
    const sending = this.transport.send(wire);
    return { msgId: header.msgId, seqNo: header.seqNo, sending };
  }

  /** msgs_ack is not content-related (R5): even seq_no, unless the fault acks-content-related (mtcute 0.30.3's bug). */
  #contentRelated(body) {
    if (body._ === 'msgs_ack' && this.faults.has('acks-content-related')) return true;
    return !NOT_CONTENT_RELATED.has(body._);
  }

  async #sendRequest(request, sameHeader = null) {
    const { msgId, seqNo, sending } = await this.#send(request.body, sameHeader);
    Object.assign(request, { msgId, seqNo });
    this.pending.set(msgId, request);
    await sending;
  }

  /**
   * Sends a refused request again (bad_server_salt, bad_msg_notification), at most five times in a row: under a new
   * msg_id and seq_no, since a header is never encrypted twice (the 2022 attack's invariant), unless the fault
   * resend-same-header keeps the refused one's.
   */
  #resend(badMsgId, failure) {
    const request = this.pending.get(badMsgId);
    if (!request) return;
    this.pending.delete(badMsgId);
    if (failure || ++request.resends > 5) { request.reject(failure ?? new Error('refused five times')); return; }
    const sameHeader = this.faults.has('resend-same-header') ? { msgId: request.msgId, seqNo: request.seqNo } : null;
    this.#sendRequest(request, sameHeader).catch(request.reject);
  }

  /**
   * msg_resend_req (R6): each listed request of ours still waiting for its answer goes again with its identical
   * msg_id, seq_no and body, inside a fresh msg_container (its own new msg_id and even seq_no), so that no header
   * is encrypted twice; ids that are not waiting requests are ignored.
   */
  #answerResendRequest(msgIds) {
    const messages = msgIds.filter((id) => this.pending.has(id)).map((id) => {
      const { body, msgId, seqNo } = this.pending.get(id);
      return {
        _: 'message',
        msg_id: msgId,
        seqno: seqNo,
        bytes: this.schema.serialize(body).length,
        body,
      };
    });
    // Not awaited, as msg_detailed_info's msg_resend_req: over HTTP the packet being handled is still being delivered.
    if (messages.length) this.#send({ _: 'msg_container', messages }).catch(() => {});
  }

  /** Fails every waiting call (the connection is gone; the caller decides whether to call again). */
  failPending(error) {
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
  }

  async #receive(packet) {
    if (packet.length === 4) {
      const code = readInt32(packet, 0);
      this.onPacket({
        direction: 'in',
        transport: this.transport.name,
        size: 4,
        wire: packet,
        refused: `transport error ${code}`,
        transportError: code,
      });
      this.failPending(Object.assign(new Error(`transport error ${code}`), { transportError: code }));
      return;
    }
    const opened = await mt.decryptMessage(this.authKey, this.keyId, mt.SERVER_TO_CLIENT, packet, this.faults);
    const base = {
      direction: 'in',
      transport: this.transport.name,
      size: packet.length,
      wire: packet,
      msgKey: hex(packet.subarray(8, 24)),
    };
    if (opened.reason) { this.onPacket({ ...base, refused: opened.reason }); return; }
    const { header } = opened;
    const problem = this.#checkHeader(header);
    if (problem) { this.onPacket({ ...base, msgId: header.msgId, seqNo: header.seqNo, refused: problem }); return; }
    let body;
    try {
      body = this.schema.deserialize(opened.data);
    } catch (e) {
      this.onPacket({ ...base, msgId: header.msgId, seqNo: header.seqNo, refused: `does not parse: ${e.message}` });
      return;
    }
    const late = body._ === 'msg_container' && body.messages.find((m) => m.msg_id >= header.msgId);
    if (late) {
      const refused = `container holds msg_id ${late.msg_id}, not below its own`;
      this.onPacket({ ...base, msgId: header.msgId, seqNo: header.seqNo, body, refused });
      return;
    }
    if (this.#ordered) this.lastOuterMsgId = header.msgId;
    this.onPacket({
      ...base,
      msgId: header.msgId,
      seqNo: header.seqNo,
      body,
      checks: [
        'auth_key_id',
        'msg_key',
        'length and padding',
        'session_id',
        `msg_id class: ${msgIdClass(header.msgId)}`,
        'time window',
        ...(this.#ordered ? ['above the connection\'s previous msg_id'] : []),
      ],
    });
    const messages = body._ === 'msg_container'
      ? body.messages.map((m) => ({ msgId: m.msg_id, seqNo: m.seqno, body: m.body }))
      : [{ msgId: header.msgId, seqNo: header.seqNo, body }];
    for (const message of messages) await this.#handle(message);
    this.#scheduleAcks();
  }

  /**
   * Whether R3's order rule holds here: on a stream (WebSocket), where packets arrive in the order sent; not over
   * HTTP, where requests overtake each other (docs/protocol.md §3.9); not with the fault accept-reordered.
   */
  get #ordered() {
    return this.transport.name !== 'http' && !this.faults.has('accept-reordered');
  }

  /**
   * The outer header checks of a careful client (R2, R3): its own session, a server msg_id (low bits 1 or 3), within
   * the time window of the server's clock as this client knows it, above the previous accepted packet's msg_id on
   * this connection (the 2022 reordering attack; messages inside a container are exempt).
   */
  #checkHeader(header) {
    if (header.sessionId !== this.sessionId) return 'session_id is not this session\'s';
    const cls = msgIdClass(header.msgId);
    const serverClass = cls === 'server response' || cls === 'server notification';
    if (!serverClass && !this.faults.has('accept-even-msg-id')) return `msg_id has the low bits of a ${cls} message`;
    const serverNow = Date.now() / 1000 + this.msgIds.offsetSeconds;
    const time = Number(BigInt.asUintN(64, header.msgId) >> 32n);
    const inWindow = time >= serverNow - MAX_PAST_SECONDS && time <= serverNow + MAX_FUTURE_SECONDS;
    if (!inWindow && !this.faults.has('no-time-window')) return 'msg_id outside the -300 s / +30 s window';
    if (this.#ordered && this.lastOuterMsgId !== null && header.msgId <= this.lastOuterMsgId) {
      return `msg_id not above the previous packet's ${this.lastOuterMsgId} on this connection`;
    }
    return null;
  }

  /** A gzip_packed's object, or null (reported) when it unpacks to more than MAX_UNPACKED_BYTES (R6). */
  async #unpack(packed, msgId) {
    const limit = this.faults.has('unbounded-gzip') ? Infinity : MAX_UNPACKED_BYTES;
    const bytes = await gunzip(packed.packed_data, limit);
    if (bytes) return this.schema.deserialize(bytes);
    this.onPacket({ direction: 'in', msgId, refused: `gzip_packed unpacks to more than ${MAX_UNPACKED_BYTES} bytes` });
    return null;
  }

  async #handle({ msgId, seqNo, body }) {
    if (seqNo & 1) this.acks.push(msgId); // a re-sent one is acknowledged again: the first ack may have been lost
    if (this.seen.has(msgId) && !this.faults.has('deliver-duplicates')) return;
    this.seen.add(msgId);
    this.seenOrder.push(msgId);
    if (this.seenOrder.length > 4096) this.seen.delete(this.seenOrder.shift());
    if (body._ === 'gzip_packed') body = await this.#unpack(body, msgId);
    switch (body?._) {
      case undefined:
        return;
      case 'rpc_result': {
        const request = this.pending.get(body.req_msg_id);
        if (!request) return;
        let result = body.result;
        if (result._ === 'gzip_packed') result = await this.#unpack(result, msgId);
        if (!result) return;
        this.pending.delete(body.req_msg_id);
        if (result._ === 'rpc_error') {
          request.reject(new RpcError(result.error_code, new TextDecoder().decode(result.error_message)));
        } else {
          request.resolve(result);
        }
        return;
      }
      case 'pong': case 'future_salts': case 'msgs_state_info': {
        const id = body.msg_id ?? body.req_msg_id;
        const request = this.pending.get(id);
        if (request) { this.pending.delete(id); request.resolve(body); }
        return;
      }
      case 'new_session_created':
        this.salt = body.server_salt;
        return;
      case 'bad_server_salt':
        this.salt = body.new_server_salt;
        this.#resend(body.bad_msg_id);
        return;
      case 'bad_msg_notification':
        if ([16, 17, 20].includes(body.error_code)) {
          // The server's clock is in its msg_id: correct ours, then re-send under a new msg_id (§3.2). 20 too: a
          // server refuses ids from before its start, which a client whose clock lags it can still make (§3.4).
          this.msgIds.offsetSeconds = msgIdSeconds(msgId) - Date.now() / 1000;
          // 17: our ids ran ahead of the server's window, which refused them, so none of them was accepted: the next id
          // may go back to the corrected clock (docs/protocol.md §3.1), else every re-send would be "too high" again.
          if (body.error_code === 17) this.msgIds.rewind();
        }
        const resent = [16, 17, 20, 32, 33].includes(body.error_code);
        this.#resend(body.bad_msg_id, resent ? null : new Error(`bad_msg_notification ${body.error_code}`));
        return;
      case 'msg_resend_req':
        this.#answerResendRequest(body.msg_ids);
        return;
      case 'msg_detailed_info':
        // Not awaited: over HTTP the packet being handled is still being delivered, and this one queues behind it.
        if (this.pending.has(body.msg_id)) this.notify({ _: 'msg_resend_req', msg_ids: [body.answer_msg_id] }).catch(() => {});
        return;
      case 'msgs_ack': case 'msg_new_detailed_info': case 'msgs_state_req': case 'msgs_all_info':
      case 'destroy_session_ok': case 'destroy_session_none':
        return; // service messages: nothing for the user (only what is not one is an update)
      default:
        this.onUpdate(body);
    }
  }

  /** Sends the acknowledgements waiting for the batch timer now; resolves when they have been delivered. */
  async flushAcks() {
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    const ids = this.acks.splice(0, 8192);
    if (ids.length) await this.notify({ _: 'msgs_ack', msg_ids: ids });
  }

  #scheduleAcks() {
    if (this.acks.length === 0 || this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      if (this.transport?.isOpen) this.flushAcks().catch(() => {});
    }, 100);
  }
}

/** Unpacks gzip, stopping as soon as the output passes `limit` bytes: then null, and no more is allocated. */
async function gunzip(bytes, limit) {
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // A kilobyte at a time: the decompressor turns each input chunk into all of its output at once, and a kilobyte of a
  // gzip bomb inflates to about a megabyte at most (deflate's ratio is about 1032 to 1), so the cap holds within that.
  const feeding = (async () => {
    for (let offset = 0; offset < bytes.length; offset += 1024) await writer.write(bytes.subarray(offset, offset + 1024));
    await writer.close();
  })().catch(() => {});
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return concat(...chunks);
      total += value.length;
      if (total > limit) return null;
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
    await feeding;
  }
}
