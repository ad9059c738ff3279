import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TlSchema } from '../js/tl.js';
import { captureText, constructorsOf, plaintextFields, present, wireFields } from '../js/inspector.js';

const schema = new TlSchema(['mtproto.tl', 'chat.tl']
  .map((f) => readFileSync(new URL(`../../protocol/Tl/Schema/${f}`, import.meta.url), 'utf8')).join('\n'));
const utf8 = (text) => new TextEncoder().encode(text);

test('string fields are shown as text, bytes fields as hex even when they hold letters', () => {
  const user = { _: 'chat.user', id: 7n, name: utf8('Zoë'), online: true };
  const packed = { _: 'gzip_packed', packed_data: utf8('abcd') };
  assert.deepEqual(present(schema, user), { _: 'chat.user', id: '7', name: 'Zoë', online: true });
  assert.deepEqual(present(schema, packed), { _: 'gzip_packed', packed_data: 'hex:61626364' });
});

test('a string field that is not valid UTF-8 is shown as hex with a note', () => {
  const error = { _: 'rpc_error', error_code: 400, error_message: Uint8Array.of(0x41, 0xff) };
  assert.equal(present(schema, error).error_message, 'hex:41ff (a string field that is not valid UTF-8)');
});

test('strings are found inside vectors, bare container messages and rpc_result objects', () => {
  const message = { _: 'chat.message', id: 1n, from_id: 2n, to_id: 3n, random_id: 4n, date: 5, text: utf8('hi'), delivered: false };
  const result = { _: 'rpc_result', req_msg_id: 8n, result: { _: 'chat.messages', messages: [message] } };
  const container = { _: 'msg_container', messages: [{ _: 'message', msg_id: 12n, seqno: 1, bytes: 40, body: result }] };
  const shown = present(schema, container);
  assert.equal(shown.messages[0].body.result.messages[0].text, 'hi');
  assert.deepEqual(constructorsOf(container), ['msg_container', 'message', 'rpc_result', 'chat.messages', 'chat.message']);
});

test('an encrypted packet has auth_key_id (the wire bytes reversed), msg_key and the ciphertext', () => {
  const wire = new Uint8Array(24 + 64);
  wire.set([0xa1, 0x37, 0x70, 0x37, 0xe2, 0x51, 0x5f, 0x87]);
  const fields = wireFields(wire).map(({ name, offset, length }) => [name, offset, length]);
  assert.deepEqual(fields, [['auth_key_id', 0, 8], ['msg_key', 8, 16], ['ciphertext', 24, 64]]);
  assert.equal(wireFields(wire)[0].value, '875f51e2377037a1 (little-endian on the wire)');
});

test('an unencrypted packet has auth_key_id 0, msg_id, length and the message', () => {
  const wire = new Uint8Array(20 + 20);
  wire[16] = 20;
  assert.deepEqual(wireFields(wire).map(({ name, offset, length }) => [name, offset, length]),
    [['auth_key_id', 0, 8], ['msg_id', 8, 8], ['length', 16, 4], ['message', 20, 20]]);
});

test('a plaintext has the seven fields of §2.1, message_data as long as its length says', () => {
  const plaintext = new Uint8Array(32 + 12 + 20);
  plaintext[28] = 12;
  assert.deepEqual(plaintextFields(plaintext).map(({ name, offset, length }) => [name, offset, length]), [
    ['salt', 0, 8], ['session_id', 8, 8], ['msg_id', 16, 8], ['seq_no', 24, 4], ['length', 28, 4], ['message_data', 32, 12], ['padding', 44, 20],
  ]);
});

test('a capture has the lab header line, then one record per line with hex payloads and c2s/s2c', () => {
  const wire = new Uint8Array(24);
  wire[0] = 1;
  const text = captureText({
    started: '2025-01-01T00:00:00.000Z',
    origin: 'http://127.0.0.1:5000',
    records: [
      { at: 0, connection: 1, event: 'open', detail: 'websocket Intermediate' },
      { at: 15, connection: 1, event: 'forwarded', direction: 'out', index: 1, wire },
    ],
  });
  const [header, open, packet, end] = text.split('\n');
  assert.equal(JSON.parse(header).format, 'mtproto-testbed-capture');
  assert.deepEqual(JSON.parse(open), { t_us: 0, conn: 1, event: 'open', detail: 'websocket Intermediate' });
  assert.deepEqual(JSON.parse(packet), {
    t_us: 15, conn: 1, event: 'forwarded', dir: 'c2s', index: 1, length: 24,
    auth_key_id: '0000000000000001', msg_key: '00'.repeat(16), payload: `01${'00'.repeat(23)}`,
  });
  assert.equal(end, '');
});
