using System.Text;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// What a signing domain (d=) signs with: one or more keys (RFC 8463 §6: one RSA and one Ed25519
/// while verifiers learn Ed25519), one canonicalisation, and the header fields to sign when present.
/// The constant start of each signature is encoded once here.
/// </summary>
public sealed class DkimSigningDomain
{
    /// <summary>
    /// RFC 6376 §5.4.1's "SHOULD be included" fields that matter to a reader or a receiver's
    /// one-click unsubscribe (RFC 8058 §4 asks that both List-Unsubscribe fields be signed).
    /// </summary>
    public static IReadOnlyList<string> DefaultHeaders { get; } =
    [
        "from", "to", "cc", "subject", "date", "message-id", "reply-to", "mime-version",
        "content-type", "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post",
    ];

    public DkimSigningDomain(string domain, IReadOnlyList<DkimSelectorKey> keys, DkimCanonicalization? canonicalization = null, IReadOnlyList<string>? headers = null)
    {
        if (string.IsNullOrWhiteSpace(domain)) throw new ArgumentException("A signing domain needs a name.", nameof(domain));
        if (keys.Count == 0) throw new ArgumentException($"The signing domain {domain} has no key.", nameof(keys));
        Domain = domain.Trim().TrimEnd('.').ToLowerInvariant();
        Keys = keys;
        Canonicalization = canonicalization ?? DkimCanonicalization.RelaxedRelaxed;
        var names = (headers is { Count: > 0 } ? headers : DefaultHeaders).Select(h => h.Trim().ToLowerInvariant()).Where(h => h.Length > 0).ToList();
        // From is signed whatever the list says: it is the field DMARC aligns on (RFC 7489 §3.1).
        if (!names.Contains("from")) names.Insert(0, "from");
        Headers = names.Distinct().ToArray();
        HeaderNames = Headers.Select(Encoding.ASCII.GetBytes).ToArray();
        Starts = keys.Select(k => Encoding.ASCII.GetBytes(
            $"DKIM-Signature: v=1; a={DkimAlgorithmNames.Of(k.Key.Algorithm)}; c={Canonicalization};\r\n\td={Domain}; s={k.Selector}; ")).ToArray();
        DomainBytes = Encoding.ASCII.GetBytes(Domain);
        SelectorBytes = keys.Select(k => Encoding.ASCII.GetBytes(k.Selector)).ToArray();
    }

    public string Domain { get; }

    public IReadOnlyList<DkimSelectorKey> Keys { get; }

    public DkimCanonicalization Canonicalization { get; }

    public IReadOnlyList<string> Headers { get; }

    internal byte[][] HeaderNames { get; }

    internal byte[][] Starts { get; }

    internal byte[] DomainBytes { get; }

    internal byte[][] SelectorBytes { get; }
}
