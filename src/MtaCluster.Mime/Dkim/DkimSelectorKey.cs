namespace MtaCluster.Mime.Dkim;

/// <summary>A key and the selector its public half is published under (selector._domainkey.domain).</summary>
public sealed record DkimSelectorKey(string Selector, DkimSigningKey Key);
