'use strict';
// An rpc_error as each client hands it to its caller (core.telegram.org/mtproto/service_messages, "Error"): gramjs
// throws an RPCError (`code`, `errorMessage`), mtcute an RpcError (`code`, `text`), @mtproto/core rejects with the
// parsed object (`error_code`, `error_message`).

/** `{ code, message }` when `e` is an rpc_error a client delivered, otherwise null. */
function rpcErrorOf(e) {
  const code = e && (e.error_code ?? e.errorCode ?? e.code);
  if (typeof code !== 'number') return null;
  return { code, message: String(e.error_message ?? e.errorMessage ?? e.text ?? '') };
}

module.exports = { rpcErrorOf };
