namespace MtaCluster.Node.Dkim;

/// <summary>One signing domain under Dkim:Domains: its first key, and any others under their selectors.</summary>
public sealed class DkimDomainOptions
{
    /// <summary>s=: the key's public half is published at Selector._domainkey.domain.</summary>
    public string? Selector { get; set; }

    /// <summary>The private key's PEM file; relative paths are from the data dir. Not set: dkim/Selector.domain.pem there, where dkim-keygen writes it.</summary>
    public string? KeyPath { get; set; }

    /// <summary>rsa-sha256 or ed25519-sha256; the key file must hold a key of that kind.</summary>
    public string Algorithm { get; set; } = "rsa-sha256";

    /// <summary>c=: relaxed/relaxed, simple/simple, relaxed/simple or simple/relaxed (header/body).</summary>
    public string Canonicalization { get; set; } = "relaxed/relaxed";

    /// <summary>The header fields signed when present; empty: From, To, Cc, Subject, Date, Message-ID, Reply-To, MIME-Version, Content-Type, Content-Transfer-Encoding, List-Unsubscribe, List-Unsubscribe-Post. From is always signed, and over-signed.</summary>
    public List<string> Headers { get; set; } = [];

    /// <summary>More keys signing the same mail, by selector: RFC 8463 §6 suggests an Ed25519 signature beside the RSA one.</summary>
    public Dictionary<string, DkimKeyOptions> AdditionalKeys { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
