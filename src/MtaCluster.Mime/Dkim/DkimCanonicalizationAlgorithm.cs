namespace MtaCluster.Mime.Dkim;

/// <summary>RFC 6376 §3.4: simple tolerates no change; relaxed survives re-folding and white space changes.</summary>
public enum DkimCanonicalizationAlgorithm
{
    Simple,
    Relaxed,
}
