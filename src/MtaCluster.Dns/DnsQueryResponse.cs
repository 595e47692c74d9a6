using System.Net;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;

namespace MtaCluster.Dns;

/// <inheritdoc cref="IDnsQueryResponse"/>
public sealed class DnsQueryResponse : IDnsQueryResponse
{
    public DnsQueryResponse(DnsMessage message, IPEndPoint nameServer, int messageSize)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(nameServer);
        Message = message;
        NameServer = nameServer;
        MessageSize = messageSize;
    }

    public DnsMessage Message { get; }

    public DnsHeader Header => Message.Header;

    public IReadOnlyList<DnsQuestion> Questions => Message.Questions;

    public IReadOnlyList<DnsResourceRecord> Answers => Message.Answers;

    public IReadOnlyList<DnsResourceRecord> Authorities => Message.Authorities;

    public IReadOnlyList<DnsResourceRecord> Additionals => Message.Additionals;

    public OptRecord? Opt => Message.Opt;

    public bool HasError => Message.Header.ResponseCode != DnsResponseCode.NoError;

    public string ErrorMessage => HasError ? DescribeResponseCode(Message.Header.ResponseCode) : string.Empty;

    public IPEndPoint NameServer { get; }

    public int MessageSize { get; }

    public override string ToString() => $"{Header} from {NameServer}, {Answers.Count} answer(s)";

    internal static string DescribeResponseCode(DnsResponseCode code) => code switch
    {
        DnsResponseCode.NoError => "No error",
        DnsResponseCode.FormatError => "Format error (FORMERR)",
        DnsResponseCode.ServerFailure => "Server failure (SERVFAIL)",
        DnsResponseCode.NameError => "Non-existent domain (NXDOMAIN)",
        DnsResponseCode.NotImplemented => "Not implemented (NOTIMP)",
        DnsResponseCode.Refused => "Query refused (REFUSED)",
        _ => $"Response code {(int)code}",
    };
}
