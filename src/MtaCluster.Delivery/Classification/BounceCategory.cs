namespace MtaCluster.Delivery.Classification;

/// <summary>
/// Why a recipient failed or was deferred, in the categories PowerMTA's accounting uses so existing
/// reporting can read ours. <see cref="BounceCategoryNames"/> gives the kebab-case names written to logs.
/// </summary>
public enum BounceCategory
{
    Other = 0,
    BadMailbox,
    BadDomain,
    InactiveMailbox,
    QuotaIssues,
    PolicyRelated,
    SpamRelated,
    VirusRelated,
    RoutingErrors,
    ProtocolErrors,
    ContentRelated,
    MessageExpired,
    NoAnswerFromHost,
}
