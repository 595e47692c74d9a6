using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Delivery.Policies;
using MtaCluster.Dns;
using MtaCluster.Mail;
using MtaCluster.Storage;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// The delivery half of a node on a temporary spool: domain entities, real DNS (a dnsmasq the test
/// started, or none) and real SMTP peers on loopback. Mail is put straight into the spool, as the
/// SMTP server would after its 250, and the entities are woken the same way.
/// </summary>
internal sealed class DeliveryHarness : IAsyncDisposable
{
    public const int Shards = 64;

    private readonly string _dir;
    private readonly Func<ActorSystem, DeliveryEngine> _createEngine;
    private ActorSystem _system;

    private DeliveryHarness(string dir, SqliteQueueStore store, Func<ActorSystem, DeliveryEngine> createEngine, RecordingAccountingSink accounting, DomainPolicyHolder policies)
    {
        Policies = policies;
        _dir = dir;
        Store = store;
        _createEngine = createEngine;
        _system = ActorSystem.Create("delivery-test");
        Engine = createEngine(_system);
        Accounting = accounting;
    }

    public SqliteQueueStore Store { get; }

    /// <summary>The policy in force; <see cref="DomainPolicyHolder.Replace"/> is what a SIGHUP does.</summary>
    public DomainPolicyHolder Policies { get; }
    public DeliveryEngine Engine { get; private set; }

    /// <summary>
    /// Stops every entity and starts the delivery side again on the same spool, as a node restart
    /// does (nothing in memory survives), then recovers the queued domains.
    /// </summary>
    public async Task RestartAsync()
    {
        await _system.TerminateAsync();
        _system = ActorSystem.Create("delivery-test-restarted");
        Engine = _createEngine(_system);
        await Engine.RecoverAllAsync(CancellationToken.None);
    }
    public RecordingAccountingSink Accounting { get; }

    /// <summary>Retries every second with no jitter, so a test sees the second attempt quickly.</summary>
    public const string FastRetry = """
          retry: { intervals: [1s], then-every: 1s, jitter: 0, max-age: 1h }
        """;

    public static async Task<DeliveryHarness> StartAsync(string domainsYaml, int remotePort, IPEndPoint? dns = null,
        Action<DeliveryOptions>? configure = null, IAccountingSink? extraSink = null, TimeSpan? passivateIdleEntityAfter = null,
        Func<IQueueStore, IQueueStore>? wrapStore = null, ISmtpConnector? connector = null,
        MessageLifecycleOptions? lifecycle = null, IDeliveryReportComposer? composer = null,
        Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null, MtaCluster.Delivery.Tenants.TenantDirectory? tenants = null)
    {
        var dir = Directory.CreateTempSubdirectory("mta-delivery-").FullName;
        // As a node configures its store: with a lifecycle that keeps nothing, delivered mail goes with its last outcome.
        var store = new SqliteQueueStore(new SqliteQueueStoreOptions
        {
            DatabasePath = SqliteQueueStoreOptions.ForDataDirectory(dir).DatabasePath,
            RemoveDeliveredOnCompletion = lifecycle is { RetainFinishedMessages: var retain } && retain <= TimeSpan.Zero,
        });
        await store.InitializeAsync();
        var lookupOptions = new LookupClientOptions { Timeout = TimeSpan.FromSeconds(1), Retries = 0 };
        // With no DNS server given, a closed port: any MX lookup fails, which the tests that route statically never make.
        lookupOptions.NameServers.Add(dns ?? new IPEndPoint(IPAddress.Loopback, 9));
        var lookup = new LookupClient(lookupOptions);
        var policies = new DomainPolicyHolder(DomainPolicyLoader.Parse(domainsYaml, "test domains.yaml"));
        var options = new DeliveryOptions
        {
            RemotePort = remotePort,
            HeloName = "mta.test",
            FetchInterval = TimeSpan.FromMilliseconds(5),
            ConnectionIdleTimeout = TimeSpan.FromMilliseconds(300),
            Client = new MtaCluster.Smtp.Client.Connection.SmtpClientOptions
            {
                ConnectTimeout = TimeSpan.FromSeconds(2),
                GreetingTimeout = TimeSpan.FromSeconds(2),
                EhloTimeout = TimeSpan.FromSeconds(2),
                TlsHandshakeTimeout = TimeSpan.FromSeconds(2),
                MailTimeout = TimeSpan.FromSeconds(2),
                RcptTimeout = TimeSpan.FromSeconds(2),
                DataInitiationTimeout = TimeSpan.FromSeconds(2),
                DataBlockTimeout = TimeSpan.FromSeconds(2),
                DataTerminationTimeout = TimeSpan.FromSeconds(2),
            },
        };
        configure?.Invoke(options);
        var accounting = new RecordingAccountingSink();
        IAccountingSink sink = extraSink is null ? accounting : new CompositeAccountingSink([accounting, extraSink]);
        // A new context per engine, as a restarted node has: throttle groups and backoff start afresh.
        // A wrapper sees what the entities ask of the spool (to fail on cue); the test itself uses the store directly.
        DeliveryEngine CreateEngine(ActorSystem system)
        {
            DeliveryEngine? engine = null;
            var spool = wrapStore?.Invoke(store) ?? store;
            var messages = lifecycle is null ? null : new MessageLifecycleContext(spool, composer ?? new RecordingReportComposer(), lifecycle, Shards,
                loggerFactory ?? NullLoggerFactory.Instance, recipients => engine!.OnNewWork(recipients.Select(r => r.Domain).Distinct()),
                maxAgeOf: domain => policies.Current.Resolver.Resolve(domain).Policy.Retry.MaxAge);
            engine = new DeliveryEngine(system,
                new DeliveryContext(spool, new MailRouteResolver(lookup, lookup, remotePort), policies,
                    sink, options, loggerFactory ?? NullLoggerFactory.Instance, connector: connector) { Tenants = tenants ?? new(null) },
                Shards, passivateIdleEntityAfter ?? TimeSpan.FromMinutes(1), messages);
            return engine;
        }
        var harness = new DeliveryHarness(dir, store, CreateEngine, accounting, policies);
        // As a node does at start: with a lifecycle, recovery also starts the sweep of complete messages.
        if (lifecycle is not null) await harness.Engine.RecoverAllAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>Spools a message as the SMTP server would and wakes its domains; returns its queue id.</summary>
    public async Task<string> SubmitAsync(string from, IReadOnlyList<string> recipients, string? body = null, DsnNotify notify = DsnNotify.NotGiven)
    {
        return (await SubmitMessageAsync(from, recipients, body, notify)).Id;
    }

    /// <summary>Spools a message as the SMTP server would (its own shard included) and wakes its domains.</summary>
    public async Task<SpoolMessage> SubmitMessageAsync(string from, IReadOnlyList<string> recipients, string? body = null, DsnNotify notify = DsnNotify.NotGiven,
        string tenant = SpoolMessage.DefaultTenant, DeliveryLane lane = DeliveryLane.Bulk)
    {
        var id = QueueId.New();
        var content = Encoding.ASCII.GetBytes(body ?? $"From: <{from}>\r\nTo: <{recipients[0]}>\r\nSubject: test {id}\r\n\r\nHello from {id}.\r\n.leading dot line\r\n");
        var spooled = recipients.Select(r =>
        {
            var domain = r[(r.LastIndexOf('@') + 1)..].ToLowerInvariant();
            return new SpoolRecipient(r, domain, ShardHash.ShardOf(domain, Shards), $"rfc822;{r}", notify);
        }).ToArray();
        var message = new SpoolMessage(id, from, spooled, content, DateTimeOffset.UtcNow, Shard: ShardHash.ShardOf(id, Shards), Tenant: tenant, Lane: lane);
        await Store.EnqueueAsync(message);
        Engine.OnNewWork(spooled.Select(r => r.Domain).Distinct());
        return message;
    }

    public async Task<IReadOnlyList<QueuedRecipient>> RecipientsAsync(string messageId) => await Store.GetRecipientsAsync(messageId);

    public Task<DomainStatus> StatusAsync(string domain) => Engine.Domains.Ask<DomainStatus>(new GetDomainStatus(domain), TimeSpan.FromSeconds(5));

    public async ValueTask DisposeAsync()
    {
        await _system.TerminateAsync();
        await Store.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Keeps every accounting record, and lets a test wait for the ones it expects.</summary>
internal sealed class RecordingAccountingSink : IAccountingSink
{
    private readonly ConcurrentQueue<AccountingRecord> _records = new();
    private readonly SemaphoreSlim _added = new(0);

    public IReadOnlyList<AccountingRecord> Records => _records.ToArray();

    public void Record(AccountingRecord record)
    {
        _records.Enqueue(record);
        _added.Release();
    }

    public async Task<IReadOnlyList<AccountingRecord>> WaitForAsync(Func<AccountingRecord, bool> match, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var found = _records.Where(match).ToArray();
            if (found.Length >= count) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"expected {count} matching accounting records, have {found.Length}; all records:{Environment.NewLine}" +
                    string.Join(Environment.NewLine, _records.Select(r => $"{r.Type} {r.Recipient} {r.Reply?.Code} {r.Reply?.Enhanced} {r.Reply?.Text} [{r.Category}]")));
            }
            await _added.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }
}

/// <summary>
/// Stands in for the MIME composer in delivery tests: it keeps every report it was asked for and
/// writes a small message naming the kind and the recipients, so a test can tell the DSNs apart.
/// </summary>
/// <param name="whileComposing">Runs inside each composition, for a test that makes something happen meanwhile.</param>
internal sealed class RecordingReportComposer(Func<DeliveryReport, Task>? whileComposing = null) : IDeliveryReportComposer
{
    private readonly ConcurrentQueue<DeliveryReport> _reports = new();

    public IReadOnlyList<DeliveryReport> Reports => _reports.ToArray();

    public async Task<byte[]> ComposeAsync(DeliveryReport report, CancellationToken cancellationToken = default)
    {
        _reports.Enqueue(report);
        if (whileComposing is not null) await whileComposing(report);
        return Encoding.ASCII.GetBytes($"From: MAILER-DAEMON@mta.test\r\nSubject: {report.Kind} {report.Original.Id}\r\n\r\n" +
            string.Concat(report.Recipients.Select(r => $"{r.Address} {r.LastReply}\r\n")));
    }
}
