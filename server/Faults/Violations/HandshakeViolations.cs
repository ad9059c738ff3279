namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the handshake cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class HandshakeViolations
{
    /// <summary>The key is made and dh_gen_ok sent, but a permanent key is never stored (a temporary one still is).</summary>
    public static readonly Violation PermanentKeyNotStored = new("HSK-001",
        "answers dh_gen_ok but does not store the new permanent auth key, so messages under it get -404");

    /// <summary>
    /// The client refuses every resPQ, so each other case that needs one is not applicable ("the handshake failed
    /// HSK-002"); HSK-021 checks the resPQ answering req_pq, which carries the server_nonce too.
    /// </summary>
    public static readonly Violation ResPqNonceNotEchoed = new("HSK-002",
        "puts its server_nonce where resPQ must echo the client's nonce")
    {
        AlsoBreaks = ["HSK-021"],
    };

    /// <summary>HSK-011's malformed query is a req_DH_params with a wrong fingerprint, which this accepts.</summary>
    public static readonly Violation UnknownFingerprintAccepted = new("HSK-003",
        "takes a req_DH_params naming a key fingerprint it did not offer as meant for its own key")
    {
        AlsoBreaks = ["HSK-011"],
    };

    /// <summary>The encoding check stays: p with a leading zero byte (HSK-005) is still refused.</summary>
    public static readonly Violation FactorValuesUnchecked = new("HSK-004",
        "accepts req_DH_params whose p and q are not pq's factors, checking only that they are minimally encoded");

    /// <summary>The value check stays: p + 2 (HSK-004) is still refused.</summary>
    public static readonly Violation FactorEncodingUnchecked = new("HSK-005",
        "reads req_DH_params' p and q as numbers, accepting a non-minimal encoding (a leading zero byte)");

    /// <summary>
    /// The RSA_PAD check itself stays (an altered encrypted_data never decrypts to a p_q_inner_data); the refusal is
    /// told apart from the others. The legacy encoding (HSK-013) fails the same check, and a server that does not parse
    /// it cannot tell it from altered data: it gets server_DH_params_fail too, which HSK-013 counts as parsed.
    /// </summary>
    public static readonly Violation UnreadableInnerDataAnswered = new("HSK-006",
        "answers encrypted_data that fails the RSA_PAD check with server_DH_params_fail instead of -404")
    {
        AlsoBreaks = ["HSK-013", "HSK-019"],
    };

    /// <summary>The handshake is found by its nonce; every check of the query's contents stays.</summary>
    public static readonly Violation UnknownServerNonceAccepted = new("HSK-007",
        "takes a query naming a server_nonce it never issued for the pending handshake of the query's nonce");

    /// <summary>The re-sent req_DH_params is then out of order and refused.</summary>
    public static readonly Violation ResentQueryNotReplayed = new("HSK-010",
        "does not keep its answers: an identical re-sent req_DH_params is handled afresh (and refused as out of order)");

    /// <summary>The refused query itself still gets -404.</summary>
    public static readonly Violation RefusalDoesNotEndHandshake = new("HSK-011",
        "lets a handshake go on after refusing one of its queries: the correct req_DH_params that follows is answered");

    /// <summary>A key made this way is stored under DC 999; the case stops at server_DH_params_ok.</summary>
    public static readonly Violation UnservedDataCenterAccepted = new("HSK-012",
        "accepts p_q_inner_data_dc naming a data centre it does not serve instead of answering -444");

    /// <summary>The published LEGACY option of the handshake server (AcceptLegacyRsa), switched on.</summary>
    public static readonly Violation LegacyRsaAccepted = new("HSK-013",
        "also accepts the old RSA encoding, SHA1(data) | data | padding, beside RSA_PAD");

    /// <summary>The mirror of HSK-001's violation: permanent keys are still stored. HSK-017's key then never works either.</summary>
    public static readonly Violation TemporaryKeyNotStored = new("HSK-014",
        "answers dh_gen_ok to p_q_inner_data_temp_dc but does not store the temporary key, so messages under it get -404")
    {
        AlsoBreaks = ["HSK-017"],
    };

    /// <summary>Only the retry_id check goes: g_b (HSK-009) is still checked.</summary>
    public static readonly Violation RetryIdUnchecked = new("HSK-015",
        "ignores client_DH_inner_data's retry_id, so a first attempt naming a made-up previous one completes");

    /// <summary>Kept an hour whatever the server's --Testbed:PendingHandshakeSeconds states.</summary>
    public static readonly Violation PendingHandshakesKept = new("HSK-016",
        "keeps unfinished handshakes past its stated lifetime, finishing one resumed after it");

    /// <summary>
    /// EncryptedMessageProcessor.TryGetKey: a cached temporary key past its expires_at is kept and used. A key loaded
    /// afresh from the store is still refused once expired.
    /// </summary>
    public static readonly Violation ExpiredTemporaryKeyAccepted = new("HSK-017",
        "keeps accepting messages under a temporary key after its expires_in has passed");

    /// <summary>The outer query's checks stay: its nonces, p and q still have to match resPQ.</summary>
    public static readonly Violation InnerDataUnchecked = new("HSK-018",
        "does not compare p_q_inner_data's nonce, server_nonce, pq, p and q with the req_DH_params and resPQ around it");

    /// <summary>encrypted_data failing the RSA_PAD check itself (HSK-006) still gets -404: the two answers tell them apart.</summary>
    public static readonly Violation ForeignInnerDataAnswered = new("HSK-019",
        "answers RSA_PAD-valid encrypted_data that holds no p_q_inner_data with server_DH_params_fail instead of -404");

    /// <summary>Only the inner nonces go: set_client_DH_params' own nonce and server_nonce are still checked.</summary>
    public static readonly Violation ClientInnerDataUnchecked = new("HSK-020",
        "does not compare client_DH_inner_data's nonce and server_nonce with its handshake's");

    /// <summary>req_pq_multi is still answered.</summary>
    public static readonly Violation ReqPqRefused = new("HSK-021",
        "refuses the older req_pq with -404, answering only req_pq_multi");

    /// <summary>The one-day maximum stays.</summary>
    public static readonly Violation ZeroExpiryAccepted = new("HSK-022",
        "accepts p_q_inner_data_temp_dc with expires_in 0 (a temporary key that is expired when made)");

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } =
    [
        PermanentKeyNotStored, ResPqNonceNotEchoed, UnknownFingerprintAccepted, FactorValuesUnchecked, FactorEncodingUnchecked,
        UnreadableInnerDataAnswered, UnknownServerNonceAccepted, ResentQueryNotReplayed, RefusalDoesNotEndHandshake,
        UnservedDataCenterAccepted, LegacyRsaAccepted, TemporaryKeyNotStored, RetryIdUnchecked, PendingHandshakesKept,
        ExpiredTemporaryKeyAccepted, InnerDataUnchecked, ForeignInnerDataAnswered, ClientInnerDataUnchecked, ReqPqRefused, ZeroExpiryAccepted,
    ];
}
