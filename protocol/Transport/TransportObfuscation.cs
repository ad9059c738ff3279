namespace Testbed.Protocol.Transport;

/// <summary>
/// Asks a client transport to obfuscate its connection ("obfuscated2", docs/protocol.md §6.1): a 64-byte init header,
/// then everything through AES-256-CTR. <paramref name="DataCenter"/> goes into the header's bytes 60..61 (negative
/// for a media DC, plus 10,000 for a test DC, as the clients send it); this server serves one DC and does not
/// check it.
/// </summary>
public sealed record TransportObfuscation(short DataCenter);
