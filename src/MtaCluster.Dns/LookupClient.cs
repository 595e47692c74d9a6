using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Dns.Caching;
using MtaCluster.Dns.Configuration;
using MtaCluster.Dns.MailRouting;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Transport;

namespace MtaCluster.Dns;

/// <summary>
/// Stub resolver for recursive servers: UDP with TCP fallback, rotation and retries over the configured
/// servers, a TTL-bounded LRU cache and single-flight de-duplication of identical concurrent queries.
/// Thread-safe; create one per process.
/// </summary>
public sealed class LookupClient : ILookupClient, IMailHostResolver
{
    /// <summary>glibc's fallback when resolv.conf names no server (resolv.conf(5)).</summary>
    private static readonly IPEndPoint LocalhostServer = new(IPAddress.Loopback, NameServerEndpoint.DefaultPort);

    private readonly LookupClientOptions _options;
    private readonly IPEndPoint[] _servers;
    private readonly DnsResponseCache? _cache;
    private readonly Dictionary<DnsCacheKey, Task<DnsQueryResponse>> _inFlight = new();
    private readonly Lock _inFlightLock = new();
    private readonly ILogger _logger;
    private readonly MailHostResolver _mailHostResolver;
    private int _rotation = -1;

    /// <summary>Uses the given servers, or /etc/resolv.conf when none are given, with default options.</summary>
    public LookupClient(params IPEndPoint[] nameServers)
        : this(new LookupClientOptions { NameServers = new List<IPEndPoint>(nameServers) })
    {
    }

    public LookupClient(LookupClientOptions options, ILogger<LookupClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;

        IReadOnlyList<IPEndPoint> servers = options.NameServers.Count > 0
            ? new List<IPEndPoint>(options.NameServers)
            : ResolvConf.ReadNameServers();
        _servers = servers.Count > 0 ? [.. servers] : [LocalhostServer];
        _cache = options.UseCache ? new DnsResponseCache(options.CacheSize, options.TimeProvider) : null;
        _mailHostResolver = new MailHostResolver(this);
    }

    public IReadOnlyList<IPEndPoint> NameServers => _servers;

    /// <summary>Cached answers currently held.</summary>
    public int CacheCount => _cache?.Count ?? 0;

    public Task<IDnsQueryResponse> QueryAsync(string query, QueryType queryType, CancellationToken cancellationToken = default) =>
        QueryAsync(query, queryType, QueryClass.IN, cancellationToken);

    public Task<IDnsQueryResponse> QueryAsync(string query, QueryType queryType, QueryClass queryClass, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return QueryAsync(new DnsQuestion(query, queryType, queryClass), cancellationToken);
    }

    public async Task<IDnsQueryResponse> QueryAsync(DnsQuestion question, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        cancellationToken.ThrowIfCancellationRequested();

        // Validate the name up front so an unusable name fails here, not inside the shared query.
        DnsName.Split(question.Name);

        var key = new DnsCacheKey(question);
        if (_cache is not null && _cache.TryGet(key, out DnsQueryResponse cached))
        {
            return cached;
        }

        Task<DnsQueryResponse> shared;
        TaskCompletionSource<DnsQueryResponse>? owner = null;
        lock (_inFlightLock)
        {
            if (!_inFlight.TryGetValue(key, out shared!))
            {
                owner = new TaskCompletionSource<DnsQueryResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
                shared = owner.Task;
                _inFlight.Add(key, shared);
            }
        }

        if (owner is not null)
        {
            // The network query runs detached from any one caller's token: other callers may be
            // waiting on it, and per-attempt timeouts already bound its duration.
            _ = RunSharedQueryAsync(question, key, owner);
        }

        return await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IDnsQueryResponse> QueryReverseAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return QueryAsync(GetArpaName(address), QueryType.PTR, cancellationToken);
    }

    /// <inheritdoc cref="IMailHostResolver.ResolveMailHostsAsync"/>
    public Task<MailRoutingResult> ResolveMailHostsAsync(string domain, CancellationToken cancellationToken = default) =>
        _mailHostResolver.ResolveMailHostsAsync(domain, cancellationToken);

    public void ClearCache() => _cache?.Clear();

    internal static string GetArpaName(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        byte[] bytes = address.GetAddressBytes();
        var builder = new StringBuilder(address.AddressFamily == AddressFamily.InterNetwork ? 29 : 73);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            for (int i = bytes.Length - 1; i >= 0; i--)
            {
                builder.Append(bytes[i].ToString(CultureInfo.InvariantCulture)).Append('.');
            }

            return builder.Append("in-addr.arpa.").ToString();
        }

        const string hex = "0123456789abcdef";
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            builder.Append(hex[bytes[i] & 0x0F]).Append('.').Append(hex[bytes[i] >> 4]).Append('.');
        }

        return builder.Append("ip6.arpa.").ToString();
    }

    private async Task RunSharedQueryAsync(DnsQuestion question, DnsCacheKey key, TaskCompletionSource<DnsQueryResponse> completion)
    {
        try
        {
            DnsQueryResponse response = await ResolveOverNetworkAsync(question).ConfigureAwait(false);
            _cache?.Set(key, response, CacheLifetimePolicy.GetLifetime(response.Message, _options));
            RemoveInFlight(key);
            completion.TrySetResult(response);
        }
        catch (Exception ex)
        {
            RemoveInFlight(key);
            completion.TrySetException(ex is DnsException ? ex : new DnsException($"Query for {question} failed: {ex.Message}", ex));
        }
    }

    private void RemoveInFlight(DnsCacheKey key)
    {
        lock (_inFlightLock)
        {
            _inFlight.Remove(key);
        }
    }

    /// <summary>
    /// Walks the servers in rotation for 1 + <see cref="LookupClientOptions.Retries"/> rounds. A server that
    /// answers SERVFAIL, REFUSED, NOTIMP or FORMERR is not asked again for this query (its answer would
    /// not change), but the others still are; if none does better, that error answer is returned.
    /// </summary>
    private async Task<DnsQueryResponse> ResolveOverNetworkAsync(DnsQuestion question)
    {
        int serverCount = _servers.Length;
        int start = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)serverCount);
        bool[] answeredWithError = new bool[serverCount];
        int serversWithError = 0;
        DnsQueryResponse? errorResponse = null;
        DnsException? lastFailure = null;
        int attempts = 0;

        for (int round = 0; round <= _options.Retries && serversWithError < serverCount; round++)
        {
            for (int offset = 0; offset < serverCount; offset++)
            {
                int index = (start + offset) % serverCount;
                if (answeredWithError[index])
                {
                    continue;
                }

                IPEndPoint server = _servers[index];
                attempts++;
                DnsQueryResponse response;
                try
                {
                    response = await ExchangeAsync(server, question).ConfigureAwait(false);
                }
                catch (DnsException ex)
                {
                    lastFailure = ex;
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        _logger.LogDebug(ex, "DNS attempt {Attempt} for {Question} at {Server} failed", attempts, question, server);
                    }

                    continue;
                }

                if (!IsServerError(response.Header.ResponseCode))
                {
                    return response;
                }

                answeredWithError[index] = true;
                serversWithError++;
                errorResponse = response;
            }
        }

        if (errorResponse is not null)
        {
            return errorResponse;
        }

        if (lastFailure is DnsTimeoutException or null)
        {
            throw new DnsTimeoutException(
                $"No response for {question} after {attempts} attempt(s) to {serverCount} server(s).", lastFailure);
        }

        throw lastFailure;
    }

    private async Task<DnsQueryResponse> ExchangeAsync(IPEndPoint server, DnsQuestion question)
    {
        ushort id = QueryMessageBuilder.NewId();
        byte[] query = QueryMessageBuilder.Build(id, question, _options.UdpPayloadSize, _options.RequestAuthenticData);
        DnsExchangeResult result;
        if (!_options.UseTcpOnly)
        {
            result = await UdpExchange.ExchangeAsync(server, query, id, question, _options.Timeout, CancellationToken.None).ConfigureAwait(false);
            if (!result.Message.Header.IsTruncated || !_options.UseTcpFallback)
            {
                return new DnsQueryResponse(result.Message, server, result.Size);
            }

            // RFC 7766 §5: a truncated UDP answer is retried over TCP with a fresh ID.
            id = QueryMessageBuilder.NewId();
            query = QueryMessageBuilder.Build(id, question, _options.UdpPayloadSize, _options.RequestAuthenticData);
        }

        result = await TcpExchange.ExchangeAsync(server, query, id, question, _options.Timeout, CancellationToken.None).ConfigureAwait(false);
        return new DnsQueryResponse(result.Message, server, result.Size);
    }

    private static bool IsServerError(DnsResponseCode code) =>
        code is DnsResponseCode.ServerFailure or DnsResponseCode.Refused or DnsResponseCode.NotImplemented or DnsResponseCode.FormatError;
}
