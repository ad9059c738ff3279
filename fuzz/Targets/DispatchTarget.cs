using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Server;
using Testbed.Server.Chat;
using Testbed.Server.Faults;
using Testbed.Server.Sessions;
using Testbed.Server.Storage;
using Testbed.Server.Transport;

namespace Testbed.Fuzz.Targets;

/// <summary>
/// The server's message dispatch for a live session: each input is a decrypted payload (its first byte picks the
/// seq_no parity), sealed under a real key and fed to the server's EncryptedMessageProcessor — admission,
/// containers, gzip_packed, service messages, the chat layer with its SQLite store. Nothing may throw.
/// </summary>
internal static class DispatchTarget
{
    private static readonly Lazy<Dispatcher> Instance = new(() => new Dispatcher());

    public static FuzzTarget Create() => new("dispatch",
        "The server's EncryptedMessageProcessor fed arbitrary decrypted payloads in a live session (SQLite included): never an exception.",
        input => Instance.Value.Run(input),
        () => FuzzInputs.SessionMessages().Select(m => (byte[])[1, .. FuzzInputs.Serialize(m)]),
        () => [.. FuzzInputs.ConstructorIds()]);

    private sealed class Dispatcher
    {
        private readonly EncryptedMessageProcessor _processor;
        private readonly ServerSaltSchedule _salts;
        private readonly ClientSession _session;
        private readonly DiscardingConnection _connection = new();

        public Dispatcher()
        {
            string directory = Directory.CreateTempSubdirectory("testbed-fuzz-dispatch-").FullName;
            var database = new Database(Path.Combine(directory, "fuzz.db"));
            var keys = new AuthKeyStore(database);
            byte[] keyBytes = FuzzInputs.AuthKey.Bytes.ToArray();
            keys.TryAdd(FuzzInputs.AuthKey.Id, keyBytes, 1, DateTimeOffset.UtcNow, null, 0);
            TimeProvider clock = TimeProvider.System;
            var sessions = new SessionRegistry(AdmissionPolicy.Hardened, clock);
            _salts = new ServerSaltSchedule(new byte[32]);
            var delivery = new SessionDelivery(sessions, _salts, ServerBehaviour.Hardened, clock);
            var handler = new ServiceMessageHandler(sessions, _salts, new ChatService(new ChatStore(database), delivery, clock));
            _processor = new EncryptedMessageProcessor(keys, sessions, delivery, handler, _salts, ServerBehaviour.Hardened, clock);
            _session = new ClientSession(FuzzInputs.AuthKey, 0);
        }

        public void Run(byte[] input)
        {
            if (input.Length == 0)
            {
                return;
            }

            _session.Salt = _salts.Current(FuzzInputs.AuthKey.Id, DateTimeOffset.UtcNow);
            ReadOnlySpan<byte> payload = input.AsSpan(1, (input.Length - 1) / 4 * 4); // message data is whole 32-bit words
            EnvelopeHeader header = _session.NextHeader(contentRelated: (input[0] & 1) == 1);
            byte[] wire = _session.Encrypt(header, payload, PaddingPolicy.Default.ChooseLength(payload.Length));
            _processor.Process(wire, _connection);
        }
    }

    /// <summary>A connection that takes every packet and keeps none.</summary>
    private sealed class DiscardingConnection : IClientConnection
    {
        public long Id => 1;

        public PacketOrigin Origin { get; } = new("fuzz", null);

        public bool IsStreaming => true;

        public bool IsOpen => true;

        public bool Send(byte[] packet) => true;

        public void SendError(int code)
        {
        }

        public void Wake()
        {
        }

        public void SetDisconnectDelay(TimeSpan? delay)
        {
        }

        public void RequestHttpWait(TimeSpan maxWait, TimeSpan waitAfter)
        {
        }
    }
}
