namespace Testbed.Server.Api;

/// <summary>
/// The rpc_errors the server answers for the API layer (docs/protocol.md §9.3), with the names and codes Telegram's
/// servers use: the public list of errors (core.telegram.org/api/errors and the per-method lists, as collected in
/// mtcute 0.30.3's packages/core/src/tl/raw-errors.json) gives each one's meaning.
/// </summary>
internal static class RpcErrors
{
    /// <summary>400 INPUT_METHOD_INVALID, "the invoked method does not exist anymore or has never existed": an unknown function.</summary>
    public static readonly RpcError MethodInvalid = new(400, "INPUT_METHOD_INVALID");

    /// <summary>400 INPUT_FETCH_FAIL, "failed deserializing TL payload": a known function (or other object) whose fields do not parse.</summary>
    public static readonly RpcError FetchFail = new(400, "INPUT_FETCH_FAIL");

    /// <summary>400 MSG_WAIT_FAILED, "a waiting call returned an error": invokeAfterMsg(s) naming a message that has no answer.</summary>
    public static readonly RpcError MsgWaitFailed = new(400, "MSG_WAIT_FAILED");

    /// <summary>501 NOT_IMPLEMENTED: a function of the schema the server knows but does not serve (Choice: 501 names exactly that).</summary>
    public static readonly RpcError NotImplemented = new(501, "NOT_IMPLEMENTED");

    /// <summary>400 CONNECTION_LAYER_INVALID, "layer invalid": help.getConfig under a layer whose Config this server cannot write.</summary>
    public static readonly RpcError LayerInvalid = new(400, "CONNECTION_LAYER_INVALID");
}
