'use strict';
// The few TL objects the shims send and read themselves, so that every client sends the same bytes: the chat
// layer's chat.register (protocol/Tl/Schema/chat.tl) and the API's help.getConfig (core.telegram.org/method/help.getConfig).
// TL serialisation: core.telegram.org/mtproto/serialize.

/** TL `bytes`/`string`: a length byte (or 254 and three bytes), the data, zero padding to a multiple of 4. */
function tlBytes(data) {
  const head = data.length < 254 ? Buffer.from([data.length]) : Buffer.from([254, data.length & 0xff, (data.length >> 8) & 0xff, (data.length >> 16) & 0xff]);
  const padding = (4 - ((head.length + data.length) % 4)) % 4;
  return Buffer.concat([head, data, Buffer.alloc(padding)]);
}

function constructor(id) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(id >>> 0);
  return b;
}

const CHAT_REGISTER = 0x38284c5f;
const HELP_GET_CONFIG = 0xc4f9186b;
const RPC_ERROR = 0x2144ca19;
const CHAT_USER = 0x7360f4ce;

function chatRegister(name) {
  return { name: 'chat.register', body: Buffer.concat([constructor(CHAT_REGISTER), tlBytes(Buffer.from(name, 'utf8'))]) };
}

function helpGetConfig() {
  return { name: 'help.getConfig', body: constructor(HELP_GET_CONFIG) };
}

/** What an rpc_result's object is: an error is thrown (with its code and message), anything else described. */
function describeResult(bytes) {
  const id = bytes.readUInt32LE(0);
  if (id === RPC_ERROR) {
    const code = bytes.readInt32LE(4);
    const length = bytes[8];
    const error = new Error(`rpc_error ${code} ${bytes.subarray(9, 9 + length).toString('utf8')}`);
    error.rpcError = true;
    throw error;
  }
  return { result: id === CHAT_USER ? 'chat.user' : 'object', constructor: id.toString(16).padStart(8, '0'), bytes: bytes.length };
}

module.exports = { tlBytes, chatRegister, helpGetConfig, describeResult };
