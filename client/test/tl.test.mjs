import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TlSchema, TlError } from '../js/tl.js';

// What the server serves as /schema/testbed.tl: the five files, one after the other.
const schema = new TlSchema(['mtproto.tl', 'chat.tl', 'api-wrappers.tl', 'api-help.tl', 'api-updates.tl']
  .map((f) => readFileSync(new URL(`../../protocol/Tl/Schema/${f}`, import.meta.url), 'utf8')).join('\n'));

test('the schema files load with every combinator', () => {
  assert.equal(schema.get('ping').id, 0x7abe77ec);
  assert.equal(schema.get('chat.sendMessage').id, 0x8c4e6a9d);
  assert.equal(schema.get('msg_container').params[0].type.kind, 'bareVector');
});

test('ping serializes to the bytes the MTProto documentation shows', () => {
  const bytes = schema.serialize({ _: 'ping', ping_id: 0x0102030405060708n });
  assert.deepEqual(Array.from(bytes), [0xec, 0x77, 0xbe, 0x7a, 8, 7, 6, 5, 4, 3, 2, 1]);
});

test('objects round-trip: strings of every length class, vectors, nested boxed objects, Bool', () => {
  for (const length of [0, 1, 3, 253, 254, 300, 70000]) {
    const text = new Uint8Array(length).fill(65);
    const message = { _: 'chat.message', id: 5n, from_id: 1n, to_id: -2n, random_id: -9223372036854775808n, date: 1700000000, text, delivered: true };
    const value = { _: 'rpc_result', req_msg_id: 77n, result: { _: 'chat.messages', messages: [message, { ...message, delivered: false }] } };
    assert.deepEqual(schema.deserialize(schema.serialize(value)), value);
  }
});

test('a container round-trips with its bare messages', () => {
  const value = { _: 'msg_container', messages: [{ _: 'message', msg_id: 4n, seqno: 1, bytes: 12, body: { _: 'ping', ping_id: 1n } }] };
  assert.deepEqual(schema.deserialize(schema.serialize(value)), value);
});

test('bad input is a TlError, never anything else', () => {
  const good = schema.serialize({ _: 'chat.register', name: new Uint8Array([65, 66]) });
  const cases = [
    good.slice(0, 5),                                              // truncated
    new Uint8Array([1, 2, 3, 4]),                                  // unknown id
    Uint8Array.from([...good, 0, 0, 0, 0]),                        // trailing bytes
    Uint8Array.from([...good.slice(0, 7), 1]),                     // non-zero padding
    Uint8Array.from([0x5f, 0x4c, 0x28, 0x38, 254, 2, 0, 0, 65, 66, 0, 0]), // long header for a short string
    Uint8Array.from([0x08, 0x1a, 0x86, 0x7d, 0x15, 0xc4, 0xb5, 0x1c, 0xff, 0xff, 0xff, 0x7f]), // msg_resend_req, absurd count
  ];
  for (const bytes of cases) assert.throws(() => schema.deserialize(bytes), TlError);
});

const WRAPPED_GET_SELF = '0d0d9bdae3000000a95ecdc10000000001000000' + '01410000' + '00000000'.repeat(5) + '4eabb7f8';

test('the API wrappers carry any function, and their bytes are the C# library\'s', () => {
  const value = {
    _: 'invokeWithLayer', layer: 227, query: {
      _: 'initConnection', api_id: 1, device_model: new Uint8Array([65]), system_version: new Uint8Array(0), app_version: new Uint8Array(0),
      system_lang_code: new Uint8Array(0), lang_pack: new Uint8Array(0), lang_code: new Uint8Array(0), query: { _: 'chat.getSelf' },
    },
  };
  const bytes = schema.serialize(value);
  // invokeWithLayer#da9b0d0d 227, initConnection#c1cd5ea9 flags 0 api_id 1, "A" and five empty strings, chat.getSelf#f8b7ab4e
  // (TlCodecTests checks the same bytes from the C# library)
  assert.equal(Buffer.from(bytes).toString('hex'), WRAPPED_GET_SELF);
  const read = schema.deserialize(bytes);
  assert.equal(read.query.query._, 'chat.getSelf');
  assert.equal(read.query.flags, 0);
});
