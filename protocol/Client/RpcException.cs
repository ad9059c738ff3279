namespace Testbed.Protocol.Client;

/// <summary>The server answered an RPC call with rpc_error.</summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception for an rpc_error.</summary>
    public RpcException(int code, string errorMessage)
        : base($"rpc_error {code} {errorMessage}")
    {
        Code = code;
        ErrorMessage = errorMessage;
    }

    /// <summary>Creates an exception without an rpc_error (for serializers and tools).</summary>
    public RpcException()
        : this(0, "")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public RpcException(string message)
        : base(message)
    {
        ErrorMessage = message;
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public RpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorMessage = message;
    }

    /// <summary>error_code (400, 401, 501...).</summary>
    public int Code { get; }

    /// <summary>error_message (NAME_INVALID, PEER_ID_INVALID...).</summary>
    public string ErrorMessage { get; } = "";
}
