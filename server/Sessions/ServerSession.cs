using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;

namespace Testbed.Server.Sessions;

/// <summary>The server's state of one session (auth key + session_id). Used under <see cref="Lock"/>.</summary>
internal sealed class ServerSession(long sessionId, AdmissionPolicy policy, TimeProvider clock)
{
    private const int MaxStoredResults = MsgIdWindow.DefaultCapacity;
    private readonly Dictionary<long, byte[]> _results = [];
    private readonly Queue<long> _resultOrder = new();

    public Lock Lock { get; } = new();

    public long SessionId { get; } = sessionId;

    public SessionAdmission Admission { get; } = new(policy);

    public MsgIdGenerator MsgIds { get; } = new(clock);

    public SeqNoCounter SeqNos { get; } = new();

    /// <summary>Whether new_session_created has been sent.</summary>
    public bool Announced { get; set; }

    public DateTimeOffset LastUsed { get; set; }

    /// <summary>Keeps the answer to a request so a duplicate can get it again (bounded like the replay window).</summary>
    public void StoreResult(long requestMsgId, byte[] body)
    {
        if (_results.TryAdd(requestMsgId, body))
        {
            _resultOrder.Enqueue(requestMsgId);
            if (_resultOrder.Count > MaxStoredResults)
            {
                _results.Remove(_resultOrder.Dequeue());
            }
        }
    }

    public byte[]? StoredResult(long requestMsgId) => _results.GetValueOrDefault(requestMsgId);
}
