using System.Text;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Api;

/// <summary>An rpc_error the server answers: its code and its message (docs/protocol.md §9.3).</summary>
internal sealed record RpcError(int Code, string Message)
{
    /// <summary>rpc_error#2144ca19 with this code and message.</summary>
    public TlObject ToObject() => new(TlSchema.Testbed["rpc_error"], Code, Encoding.UTF8.GetBytes(Message));

    /// <inheritdoc />
    public override string ToString() => $"rpc_error {Code} {Message}";
}
