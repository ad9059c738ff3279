// The client rules R2..R6 of the client suite (docs/browser.md §5) as the browser client's Session keeps them, each
// with the test fault (faults.js) that removes it: a fake server encrypts packets with the session's key and hands
// them to the session's transport, and reads what the session sends back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { concat, int32, int64, random } from '../js/bytes.js';
import { FAULTS, FaultError, parseFaults } from '../js/faults.js';
import { igeEncrypt } from '../js/ige.js';
import * as mt from '../js/mtproto.js';
import { Session } from '../js/session.js';
import { TlSchema } from '../js/tl.js';

// What the server serves as /schema/testbed.tl (TlSchema.TestbedFiles).
const schema = new TlSchema(['mtproto.tl', 'chat.tl', 'api-wrappers.tl', 'api-help.tl', 'api-updates.tl']
  .map((f) => readFileSync(new URL(`../../protocol/Tl/Schema/${f}`, import.meta.url), 'utf8')).join('\n'));
const authKey = random(256);
const { id: keyId } = await mt.keyIds(authKey);
const update = (date) => ({ _: 'updateShort', update: { _: 'updateConfig' }, date });

/** A session on a fake stream transport (or HTTP) that records what it sends. */
function open(faults = [], transportName = 'websocket') {
  const updates = [];
  const refused = [];
  const session = new Session({
    schema,
    authKey,
    keyId,
    salt: 1n,
    timeOffset: 0,
    onUpdate: (u) => updates.push(u),
    onPacket: (p) => { if (p.refused) refused.push(p.refused); },
    faults: new Set(faults),
  });
  const transport = fakeTransport(transportName);
  session.attach(transport);
  return { session, transport, updates, refused };
}

function fakeTransport(name) {
  return {
    name,
    isOpen: true,
    sent: [],
    send(wire) { this.sent.push(wire); return Promise.resolve(); },
  };
}

let counter = 0;
/** A server msg_id `offset` seconds from now, increasing from call to call; `low` its two low bits. */
function serverMsgId(offset = 0, low = 1) {
  counter += 1;
  return (BigInt(Math.floor(Date.now() / 1000 + offset)) << 32n) | BigInt(counter * 4 + low);
}

/** Encrypts `body` as the server would (x = 8 unless told) and hands it to the session; resolves once handled. */
async function push(ctx, body, { msgId = serverMsgId(), seqNo = 1, x = mt.SERVER_TO_CLIENT } = {}) {
  const header = {
    salt: 1n,
    sessionId: ctx.session.sessionId,
    msgId,
    seqNo,
  };
  await ctx.transport.onPacket(await mt.encryptMessage(authKey, keyId, x, header, schema.serialize(body)));
  return msgId;
}

/** What the session sent: header and object of each packet. */
async function sent(ctx) {
  const opened = await Promise.all(ctx.transport.sent.map((w) => mt.decryptMessage(authKey, keyId, mt.CLIENT_TO_SERVER, w)));
  return opened.map(({ header, data }) => ({ ...header, body: schema.deserialize(data) }));
}

const container = (...messages) => ({
  _: 'msg_container',
  messages: messages.map(([msgId, body]) => ({
    _: 'message',
    msg_id: msgId,
    seqno: 1,
    bytes: schema.serialize(body).length,
    body,
  })),
});

/** Starts a call (ping) and resolves with its msg_id once it has been sent. */
async function startPing(ctx, pingId = 1n) {
  const before = ctx.transport.sent.length;
  const answer = ctx.session.call({ _: 'ping', ping_id: pingId });
  while (ctx.transport.sent.length === before) await new Promise((r) => setTimeout(r, 1));
  return { answer, msgId: (await sent(ctx)).at(-1).msgId };
}

test('faults: known names parse (repeated or comma-separated), an unknown one is refused', () => {
  assert.deepEqual([...parseFaults(['accept-reordered,no-time-window', 'unbounded-gzip'])],
    ['accept-reordered', 'no-time-window', 'unbounded-gzip']);
  assert.deepEqual([...parseFaults([])], []);
  assert.throws(() => parseFaults(['accept-reordered', 'no-such-fault']), FaultError);
  assert.equal(Object.keys(FAULTS).length, 11);
});

test('an update (updateShort from api-updates.tl) is delivered with its date', async () => {
  const ctx = open();
  await push(ctx, update(7));
  assert.deepEqual(ctx.updates, [update(7)]);
});

test('R2: a packet encrypted in the client\'s own direction (x = 0) is dropped; accept-reflected takes it', async () => {
  for (const [faults, delivered] of [[[], 0], [['accept-reflected'], 1]]) {
    const ctx = open(faults);
    await push(ctx, update(1), { x: mt.CLIENT_TO_SERVER });
    assert.equal(ctx.updates.length, delivered);
    await ctx.session.flushAcks();
    assert.equal(ctx.transport.sent.length, delivered, 'acknowledged only when taken');
  }
});

test('R2: a packet whose msg_key does not match its plaintext is dropped; no-msg-key-check takes it', async () => {
  for (const [faults, delivered] of [[[], 0], [['no-msg-key-check'], 1]]) {
    const ctx = open(faults);
    const data = schema.serialize(update(1));
    const plaintext = concat(int64(1n), int64(ctx.session.sessionId), int64(serverMsgId()), int32(1), int32(data.length),
      data, random(mt.choosePadding(data.length)));
    const msgKey = random(16); // not the plaintext's
    const { key, iv } = await mt.deriveKeyIv(authKey, mt.SERVER_TO_CLIENT, msgKey);
    await ctx.transport.onPacket(concat(keyId, msgKey, igeEncrypt(key, iv, plaintext)));
    assert.equal(ctx.updates.length, delivered);
  }
});

test('R3: a msg_id with a client\'s low bits is dropped; accept-even-msg-id takes it', async () => {
  for (const [faults, delivered] of [[[], 0], [['accept-even-msg-id'], 1]]) {
    const ctx = open(faults);
    await push(ctx, update(1), { msgId: serverMsgId(0, 0) });
    assert.equal(ctx.updates.length, delivered);
  }
});

test('R3: a msg_id over 300 s old or over 30 s ahead is dropped; no-time-window takes both', async () => {
  for (const [faults, delivered] of [[[], 0], [['no-time-window'], 2]]) {
    const ctx = open(faults);
    await push(ctx, update(1), { msgId: serverMsgId(-310) });
    await push(ctx, update(2), { msgId: serverMsgId(40) });
    assert.equal(ctx.updates.length, delivered);
  }
  const ctx = open();
  await push(ctx, update(3), { msgId: serverMsgId(-290) });
  await push(ctx, update(4), { msgId: serverMsgId(25) });
  assert.equal(ctx.updates.length, 2, 'inside the window');
});

test('R3: a message received twice is acknowledged twice and delivered once; deliver-duplicates delivers it again', async () => {
  for (const [faults, delivered] of [[[], 1], [['deliver-duplicates'], 2]]) {
    const ctx = open(faults);
    const inner = serverMsgId();
    await push(ctx, container([inner, update(1)]));
    await push(ctx, container([inner, update(1)]));
    assert.equal(ctx.updates.length, delivered);
    await ctx.session.flushAcks();
    assert.deepEqual((await sent(ctx))[0].body.msg_ids, [inner, inner]);
  }
});

test('R3: over a stream a packet not above the previous one\'s msg_id is dropped; accept-reordered takes it', async () => {
  for (const [faults, delivered] of [[[], 1], [['accept-reordered'], 2]]) {
    const ctx = open(faults);
    const earlier = serverMsgId();
    await push(ctx, update(2));
    await push(ctx, update(1), { msgId: earlier });
    assert.equal(ctx.updates.length, delivered);
    assert.equal(ctx.refused.length, 2 - delivered);
  }
});

test('R3: the order rule restarts on a new connection and does not hold over HTTP', async () => {
  const ctx = open();
  const earlier = serverMsgId();
  await push(ctx, update(2));
  ctx.session.attach(ctx.transport = fakeTransport('websocket'));
  await push(ctx, update(1), { msgId: earlier });
  assert.equal(ctx.updates.length, 2, 'a new connection');

  const http = open([], 'http');
  const before = serverMsgId();
  await push(http, update(2));
  await push(http, update(1), { msgId: before });
  assert.equal(http.updates.length, 2, 'HTTP');
});

test('R4: a container holding a msg_id not below its own is dropped whole', async () => {
  const ctx = open();
  const inner = serverMsgId();
  const late = serverMsgId();
  await push(ctx, container([inner, update(1)], [late + 4n, update(2)]), { msgId: late, seqNo: 0 });
  assert.equal(ctx.updates.length, 0);
  await ctx.session.flushAcks();
  assert.equal(ctx.transport.sent.length, 0, 'nothing acknowledged');
});

test('R5: msgs_ack goes with an even seq_no; acks-content-related sends it odd', async () => {
  for (const [faults, parity] of [[[], 0], [['acks-content-related'], 1]]) {
    const ctx = open(faults);
    const msgId = await push(ctx, update(1));
    await ctx.session.flushAcks();
    const [ack] = await sent(ctx);
    assert.deepEqual([ack.body._, ack.body.msg_ids, ack.seqNo & 1], ['msgs_ack', [msgId], parity]);
  }
});

test('R6: bad_server_salt: the new salt, a new msg_id and seq_no; resend-same-header keeps them', async () => {
  for (const [faults, same] of [[[], false], [['resend-same-header'], true]]) {
    const ctx = open(faults);
    const { answer, msgId } = await startPing(ctx);
    const [first] = await sent(ctx);
    await push(ctx, {
      _: 'bad_server_salt',
      bad_msg_id: msgId,
      bad_msg_seqno: first.seqNo,
      error_code: 48,
      new_server_salt: 99n,
    }, { seqNo: 0 });
    while (ctx.transport.sent.length < 2) await new Promise((r) => setTimeout(r, 1));
    const [, again] = await sent(ctx);
    assert.deepEqual([again.body, again.salt], [first.body, 99n]);
    assert.equal(again.msgId === first.msgId && again.seqNo === first.seqNo, same);
    await push(ctx, { _: 'pong', msg_id: again.msgId, ping_id: 1n }, { seqNo: 0 });
    assert.equal((await answer).ping_id, 1n);
  }
});

test('R6: bad_msg_notification 17 from a server 60 s behind: the re-send\'s msg_id goes back to the corrected clock', async () => {
  const ctx = open();
  const { answer, msgId } = await startPing(ctx);
  const [first] = await sent(ctx);
  const notice = { _: 'bad_msg_notification', bad_msg_id: msgId, bad_msg_seqno: first.seqNo, error_code: 17 };
  await push(ctx, notice, { msgId: serverMsgId(-60), seqNo: 0 });
  while (ctx.transport.sent.length < 2) await new Promise((r) => setTimeout(r, 1));
  const [, again] = await sent(ctx);
  const behind = Number(BigInt.asUintN(64, first.msgId) - BigInt.asUintN(64, again.msgId)) / 2 ** 32;
  assert.ok(behind > 50 && behind < 70, `the re-send is ${behind} s behind the refused id`);
  await push(ctx, { _: 'pong', msg_id: again.msgId, ping_id: 1n }, { seqNo: 0, msgId: serverMsgId(-59) });
  assert.equal((await answer).ping_id, 1n);
});

test('R6: msg_resend_req: a waiting request again, identical, in a fresh container; unknown ids ignored', async () => {
  const ctx = open();
  const { msgId } = await startPing(ctx, 5n);
  await push(ctx, { _: 'msg_resend_req', msg_ids: [msgId, 12345n] });
  while (ctx.transport.sent.length < 2) await new Promise((r) => setTimeout(r, 1));
  const [first, again] = await sent(ctx);
  assert.equal(again.body._, 'msg_container');
  assert.ok(again.msgId > first.msgId && again.seqNo % 2 === 0, 'a new outer msg_id, an even seq_no');
  assert.deepEqual(again.body.messages, [{
    _: 'message',
    msg_id: first.msgId,
    seqno: first.seqNo,
    bytes: 12,
    body: first.body,
  }]);
  assert.equal(ctx.updates.length, 0, 'not an update');
});

test('R6: a pong or rpc_result for no waiting request is delivered to nobody, and acknowledged', async () => {
  const ctx = open();
  const rpc = await push(ctx, { _: 'rpc_result', req_msg_id: 4n, result: { _: 'nearestDc', country: 'NL', this_dc: 2, nearest_dc: 2 } });
  await push(ctx, { _: 'pong', msg_id: 8n, ping_id: 1n }, { seqNo: 0 });
  assert.equal(ctx.updates.length, 0);
  await ctx.session.flushAcks();
  assert.deepEqual((await sent(ctx))[0].body.msg_ids, [rpc]);
});

test('R6: a gzip_packed that unpacks to over 16 MiB is dropped; unbounded-gzip unpacks it', async () => {
  const text = new Uint8Array(9 << 20).fill(65);
  const message = {
    _: 'chat.message',
    id: 1n,
    from_id: 1n,
    to_id: 2n,
    random_id: 3n,
    date: 4,
    text,
    delivered: true,
  };
  const big = schema.serialize({ _: 'chat.messages', messages: [message, message] });
  const packed = { _: 'gzip_packed', packed_data: gzipSync(big) };
  for (const [faults, delivered] of [[[], 0], [['unbounded-gzip'], 1]]) {
    const ctx = open(faults);
    await push(ctx, packed);
    assert.equal(ctx.updates.length, delivered);
  }
});

test('R1: pq must be minimal, below 2^63 and two primes; accept-any-dh-prime lets any dh_prime through', () => {
  const bytes = (n) => Uint8Array.from(Buffer.from(n.toString(16).padStart(16, '0'), 'hex'));
  assert.deepEqual(mt.splitPq(bytes(0x17ed48941a08f981n)), { p: 0x494c553bn, q: 0x53911073n });
  assert.match(mt.splitPq(bytes(0x17ed48941a08f981n).map((b, i) => (i === 0 ? 0 : b))).reason ?? '', /minimal/);
  assert.match(mt.splitPq(bytes(1n << 63n)).reason, /out of range/);
  assert.match(mt.splitPq(bytes(1000000007n).subarray(4)).reason, /prime/);
  assert.match(mt.splitPq(bytes(3n * 5n * 7n).subarray(7)).reason, /two primes/);
  assert.equal(mt.checkDhParameters(1000003n, 4), 'PrimeWrongSize');
  assert.equal(mt.checkDhParameters(1000003n, 4, new Set(['accept-any-dh-prime'])), null);
});
