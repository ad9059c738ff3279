using Testbed.Protocol.Envelope;
using Testbed.Protocol.Sessions;
using Testbed.Server.Sessions;

namespace Testbed.Fuzz.Targets;

/// <summary>
/// The server's message dispatch for a live session: each input is a decrypted payload (its first byte picks the
/// seq_no parity), sealed under a real key and fed to the server's EncryptedMessageProcessor — admission,
/// containers, gzip_packed, service messages, the API wrappers, the chat layer with its SQLite store. Nothing may throw,
/// and nothing that decrypted may get a transport error: a body that does not parse is answered per message (rpc_error,
/// or code 64 for a container's framing), never with −404, which clients read as a lost key (docs/protocol.md §4.3).
/// </summary>
internal static class DispatchTarget
{
    private static readonly Lazy<ClientSession> Session = new(() => new ClientSession(FuzzInputs.AuthKey, 0));

    public static FuzzTarget Create() => new("dispatch",
        "The server's EncryptedMessageProcessor fed arbitrary decrypted payloads in a live session (SQLite included): never an exception, never a transport error.",
        Run,
        () => FuzzInputs.SessionMessages().Select(m => (byte[])[1, .. FuzzInputs.Serialize(m)]),
        () => [.. FuzzInputs.ConstructorIds()]);

    private static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        FuzzServer server = FuzzServer.Instance;
        ClientSession session = Session.Value;
        session.Salt = server.Salts.Current(FuzzInputs.AuthKey.Id, DateTimeOffset.UtcNow);
        byte[] payload = input[1..(1 + ((input.Length - 1) / 4 * 4))]; // message data is whole 32-bit words
        EncryptedOutcome outcome = server.ProcessUnderKey(() =>
            session.Encrypt(session.NextHeader(contentRelated: (input[0] & 1) == 1), payload, PaddingPolicy.Default.ChooseLength(payload.Length)));
        if (outcome.TransportError != 0)
        {
            throw new InvalidOperationException($"a message that decrypted got transport error {outcome.TransportError}: {outcome.Event} {outcome.Detail}");
        }
    }
}
