using System.Diagnostics;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Sessions;
using Testbed.Server;
using Testbed.Server.Api;
using Testbed.Server.Chat;
using Testbed.Server.Faults;
using Testbed.Server.Sessions;
using Testbed.Server.Storage;
using Testbed.Server.Transport;

namespace Testbed.Fuzz.Targets;

/// <summary>
/// The hardened server's encrypted-message path, in process, for the targets that face the network: a SQLite store
/// holding <see cref="FuzzInputs.AuthKey"/>, the session registry, the service-message handler, the chat layer, and a
/// connection that records what the server sends. One per process (AFL++ runs a target in one persistent process).
/// </summary>
internal sealed class FuzzServer
{
    private const string DirectoryPrefix = "testbed-fuzz-";
    private static readonly Lazy<FuzzServer> LazyInstance = new(() => new FuzzServer());

    private FuzzServer()
    {
        string directory = CreateDataDirectory();
        var database = new SqliteDatabase(Path.Combine(directory, "fuzz.db"));
        _database = database;
        var keys = new AuthKeyStore(database);
        keys.TryAdd(FuzzInputs.AuthKey.Id, FuzzInputs.AuthKey.Bytes.ToArray(), 1, DateTimeOffset.UtcNow, null, 0);
        TimeProvider clock = TimeProvider.System;
        Sessions = new SessionRegistry(AdmissionPolicy.Hardened, clock);
        Salts = new ServerSaltSchedule(new byte[32]);
        var delivery = new SessionDelivery(Sessions, Salts, ServerBehaviour.Hardened, clock);
        var handler = new ServiceMessageHandler(Sessions, Salts, new ChatService(new ChatStore(database), delivery, clock),
            new HelpService(1, () => new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5001), clock), ServerBehaviour.Hardened);
        Processor = new EncryptedMessageProcessor(keys, Sessions, delivery, handler, Salts, ServerBehaviour.Hardened, clock);
    }

    private readonly Database _database;

    public static FuzzServer Instance => LazyInstance.Value;

    public EncryptedMessageProcessor Processor { get; }

    public SessionRegistry Sessions { get; }

    public ServerSaltSchedule Salts { get; }

    public RecordingConnection Connection { get; } = new();

    /// <summary>
    /// Processes a packet under <see cref="FuzzInputs.AuthKey"/>, sealed by <paramref name="seal"/>. destroy_auth_key is a
    /// message like any other, so an earlier input may have destroyed the key, and every later packet would get −404
    /// for an unknown key: true of the server, and no finding. The key is then put back and the packet sealed and
    /// processed again (AFL++ runs a target's inputs one after another in one process).
    /// </summary>
    public EncryptedOutcome ProcessUnderKey(Func<byte[]> seal)
    {
        EncryptedOutcome outcome = Processor.Process(seal(), Connection);
        if (outcome.Event != "unknown_auth_key")
        {
            return outcome;
        }

        using (System.Data.Common.DbConnection connection = _database.Open())
        using (System.Data.Common.DbCommand restore = connection.CreateCommand())
        {
            // AuthKeyStore.Destroy empties the row and expires it (an id is never reused by a handshake); the harness owns this database.
            restore.CommandText = "UPDATE auth_keys SET key = @key, expires_at = NULL WHERE id = @id;";
            restore.AddParameter("@key", FuzzInputs.AuthKey.Bytes.ToArray());
            restore.AddParameter("@id", FuzzInputs.AuthKey.Id);
            restore.ExecuteNonQuery();
        }

        return Processor.Process(seal(), Connection);
    }

    /// <summary>
    /// A fresh data directory named after this process. AFL++ ends a target with SIGKILL, so no exit handler runs:
    /// instead each start removes the directories of processes that no longer exist.
    /// </summary>
    private static string CreateDataDirectory()
    {
        foreach (string stale in Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(stale)[DirectoryPrefix.Length..], out int pid) && !IsRunning(pid))
            {
                Directory.Delete(stale, recursive: true);
            }
        }

        return Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), DirectoryPrefix + Environment.ProcessId)).FullName;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
    }

    /// <summary>A connection that records how much the server sent on it and which transport errors.</summary>
    internal sealed class RecordingConnection : IClientConnection
    {
        public int PacketsSent { get; private set; }

        public int ErrorsSent { get; private set; }

        public long Id => 1;

        public PacketOrigin Origin { get; } = new("fuzz", null);

        public bool IsStreaming => true;

        public bool IsOpen => true;

        public bool Send(byte[] packet)
        {
            PacketsSent++;
            return true;
        }

        public void SendError(int code) => ErrorsSent++;

        public void Wake()
        {
        }

        public void KeyProven()
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
