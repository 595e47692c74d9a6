using System.Diagnostics.CodeAnalysis;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>Either an open, greeted connection or the reason there is none.</summary>
public sealed class SmtpConnectResult
{
    private SmtpConnectResult(SmtpClientConnection? connection, SmtpFailure? failure)
    {
        Connection = connection;
        Failure = failure;
    }

    public SmtpClientConnection? Connection { get; }

    public SmtpFailure? Failure { get; }

    [MemberNotNullWhen(true, nameof(Connection))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsConnected => Connection is not null;

    internal static SmtpConnectResult Connected(SmtpClientConnection connection) => new(connection, null);

    internal static SmtpConnectResult Failed(SmtpFailure failure) => new(null, failure);
}
