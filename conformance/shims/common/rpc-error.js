'use strict';
// An rpc_error as each client hands it to its caller (core.telegram.org/mtproto/service_messages, "Error"): gramjs
// throws an RPCError (`code`, `errorMessage`), mtcute an RpcError (`code`, `text`), @mtproto/core rejects with the
// parsed object (`error_code`, `error_message`).

/**
 * `{ code, message }` when `e` is an rpc_error a client delivered, otherwise null: both fields must be there (mtcute's
 * TransportError has a numeric `code` too, the transport error's, and no message field).
 */
function rpcErrorOf(e) {
  const code = e && (e.error_code ?? e.code);
  const message = e && (e.error_message ?? e.errorMessage ?? e.text);
  return typeof code === 'number' && typeof message === 'string' ? { code, message } : null;
}

module.exports = { rpcErrorOf };
