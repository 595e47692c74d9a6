using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Dns;
using MtaCluster.Node.Delivery;
using MtaCluster.Node.Configuration;
using MtaCluster.Node.Dkim;
using MtaCluster.Node.Smtp;
using MtaCluster.Node.Spooling;
using MtaCluster.Smtp.Auth;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Spool;
using MtaCluster.Storage;
using MtaCluster.Storage.Postgres;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Cluster;
using MtaCluster.Cluster.Wakeups;
using MtaCluster.Node.Clustering;
using MtaCluster.Node.Admin;

namespace MtaCluster.Node.Hosting;

/// <summary>Composes a node: configuration, logging and the node's services on the generic host.</summary>
public static class NodeHost
{
    public static IHost Build(IConfigurationRoot configuration)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            Configuration = new ConfigurationManager(),
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Configuration.AddConfiguration(configuration);

        // The levels come from a live copy of the Logging section, which a SIGHUP replaces (NodeConfigurationReloader).
        var logging = new LiveConfigurationProvider(configuration.GetSection(NodeConfigurationReloader.LoggingSection).AsEnumerable()
            .Where(kv => kv.Value is not null));
        builder.Logging.AddConfiguration(new ConfigurationRoot([logging]).GetSection(NodeConfigurationReloader.LoggingSection));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });

        var nodeOptions = NodeConfigurationSections.Bind<NodeOptions>(configuration);
        Directory.CreateDirectory(nodeOptions.FullDataDir);
        builder.Services.AddSingleton(nodeOptions);
        builder.Services.AddSingleton<IConfiguration>(configuration);
        // SIGTERM and Ctrl-C stop the host; the console lifetime turns them into StopAsync on every service.
        builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        // A cluster member leaves before it stops: its hand-offs get their own time on top.
        var leaveTimeout = NodeConfigurationSections.Bind<SpoolOptions>(configuration).Provider == SpoolProvider.PostgreSql
            ? ClusterService.LeaveTimeout(NodeConfigurationSections.Bind<ClusterOptions>(configuration))
            : TimeSpan.Zero;
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = nodeOptions.ShutdownTimeout + leaveTimeout);

        var sharding = NodeConfigurationSections.Bind<ShardingOptions>(configuration);
        builder.Services.AddSingleton(sharding);

        // Hosted services start in registration order and stop in reverse: the SMTP listeners stop
        // first, then whatever delivers, then the spool, and the actors last.
        builder.Services.AddHostedService<NodeLifecycleService>();
        builder.Services.AddSingleton(logging);
        builder.Services.AddSingleton(sp => new NodeConfigurationReloader(configuration, logging, sp.GetRequiredService<DeliveryOptions>(),
            sp.GetRequiredService<DeliveryEngine>(), sp.GetRequiredService<TenantDirectoryHolder>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("MtaCluster.Node.Reload")));
        // Early, so a SIGHUP while the node starts is a reload, not the runtime's default exit.
        builder.Services.AddSingleton<ReloadService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReloadService>());
        builder.Services.AddSingleton(sp => ActorSystem.Create(nodeOptions.EffectiveName, loggerFactory: sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService<ActorSystemService>();

        var spool = NodeConfigurationSections.Bind<SpoolOptions>(configuration);
        var clustered = spool.Provider == SpoolProvider.PostgreSql;
        if (clustered)
        {
            AddClusterMember(builder.Services, configuration, nodeOptions, sharding, spool);
        }
        // The store files completions under the shard of the message id, as QueueStoreSpool spools them;
        // keeping no finished mail, it removes a delivered message in the transaction of its last outcome.
        builder.Services.AddSingleton<IQueueStore>(sp => clustered
            ? new PostgresQueueStore(
                new PostgresQueueStoreOptions
                {
                    ConnectionString = spool.ConnectionString!,
                    RemoveDeliveredOnCompletion = spool.RetainFinishedMessages <= TimeSpan.Zero,
                    // Every owner write carries this node's lease epochs; the store refuses stale ones.
                    Fencing = sp.GetRequiredService<ClusterMember>().Fencing,
                    Notify = true,
                    // Below the lease: a frozen node's fenced write lets a takeover through before its lease has lapsed.
                    IdleInTransactionTimeout = PostgresQueueStoreOptions.IdleInTransactionTimeoutWithin(sp.GetRequiredService<ClusterOptions>().FailureTimeout),
                },
                sp.GetRequiredService<ILogger<PostgresQueueStore>>(),
                sp.GetRequiredService<ILoggerFactory>())
            : new SqliteQueueStore(
                new SqliteQueueStoreOptions
                {
                    DatabasePath = SqliteQueueStoreOptions.ForDataDirectory(nodeOptions.FullDataDir).DatabasePath,
                    ShardOfMessage = id => ShardHash.ShardOf(id, sharding.MaxShards),
                    RemoveDeliveredOnCompletion = spool.RetainFinishedMessages <= TimeSpan.Zero,
                    // Started by SpoolService once the listeners are up.
                    DeferUpgradeWork = true,
                },
                sp.GetRequiredService<ILogger<SqliteQueueStore>>()));
        builder.Services.AddHostedService<SpoolService>();
        builder.Services.AddSingleton(spool);
        // The SMTP server's capacity check (452 4.3.1 at MAIL while the volume is low); started
        // before the listeners so the first MAIL already sees a measured volume.
        builder.Services.AddSingleton(sp => new SpoolSpaceMonitor(nodeOptions.FullDataDir, spool, new DriveFreeSpaceSource(), sp.GetRequiredService<ILogger<SpoolSpaceMonitor>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SpoolSpaceMonitor>());

        // Validated at start (TenantConfigurationRules), so building it here cannot refuse what passed.
        builder.Services.AddSingleton(new TenantDirectoryHolder(new TenantDirectory(NodeConfigurationSections.Bind<TenantsOptions>(configuration))));
        AddDelivery(builder.Services, configuration, nodeOptions, sharding, spool, clustered);
        if (clustered)
        {
            // After delivery and before the listeners: it leaves the cluster before delivery stops.
            builder.Services.AddSingleton<ClusterService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterService>());
        }
        AddSmtpServer(builder.Services, configuration, nodeOptions, sharding);
        // Last: it starts once the node is whole and stops first, so it never reports a half-built node.
        AddAdminEndpoint(builder.Services, configuration, nodeOptions, spool, clustered);
        return builder.Build();
    }

    private static void AddAdminEndpoint(IServiceCollection services, IConfigurationRoot configuration, NodeOptions node, SpoolOptions spool, bool clustered)
    {
        var admin = NodeConfigurationSections.Bind<AdminOptions>(configuration);
        if (!admin.Enabled) return;
        services.AddSingleton(admin);
        // Read (or made) now, so a data dir the token cannot be written to stops the start with its reason.
        services.AddSingleton(AdminToken.Load(admin, node.FullDataDir));
        if (clustered)
        {
            var failureTimeout = NodeConfigurationSections.Bind<ClusterOptions>(configuration).FailureTimeout;
            services.AddSingleton<IClusterStatusSource>(_ => new PostgresClusterStatus(spool.ConnectionString!, failureTimeout));
        }
        // Listening from the host's build on, so the first accepted message is counted.
        var exporter = new PrometheusExporter();
        services.AddSingleton(exporter);
        services.AddSingleton(sp =>
        {
            var maxShards = sp.GetRequiredService<ShardingOptions>().MaxShards;
            var member = clustered ? sp.GetRequiredService<ClusterMember>() : null;
            return new AdminApi(
                sp.GetRequiredService<IQueueStore>(),
                node,
                sp.GetRequiredService<ShardingOptions>(),
                sp.GetRequiredService<DomainPolicyHolder>(),
                sp.GetRequiredService<DeliveryEngine>(),
                exporter,
                member is null ? () => maxShards : () => member.HeldShardCount,
                sp.GetService<IClusterStatusSource>(),
                // The shard a domain's mail is filed under: a domain listed under an MX pattern lives with its group.
                placement: sp.GetRequiredService<DomainPlacement>(),
                live: sp.GetRequiredService<LiveDomainStates>());
        });
        // The running entities' state, here and from the owners of other nodes' domains.
        services.AddSingleton(sp => new LiveDomainStates(sp.GetRequiredService<DeliveryEngine>(), node,
            sp.GetRequiredService<DomainPlacement>().ShardOf, sp.GetService<IClusterStatusSource>()));
        services.AddSingleton<IAdminRoutes>(sp => sp.GetRequiredService<LiveDomainStates>());
        // The status page's chart: this node's counts in 10 s buckets, listening from here on as the exporter does.
        var throughput = ThroughputHistory.ForNode(TimeProvider.System);
        services.AddSingleton(throughput);
        services.AddSingleton<IAdminRoutes>(sp => new StatusRoutes(sp.GetRequiredService<IQueueStore>(), throughput, node.EffectiveName, TimeProvider.System));
        services.AddSingleton<IAdminRoutes>(sp => new StatusPageRoutes(sp.GetRequiredService<AdminToken>()));
        services.AddSingleton<IAdminRoutes>(sp => new DomainActionRoutes(
            sp.GetRequiredService<IQueueStore>(),
            sp.GetRequiredService<DeliveryEngine>(),
            sp.GetRequiredService<DomainPolicyHolder>(),
            node,
            sp.GetRequiredService<ShardingOptions>(),
            sp.GetRequiredService<ILogger<DomainActionRoutes>>(),
            sp.GetRequiredService<MessageOperatorActions>(),
            sp.GetRequiredService<LiveDomainStates>(),
            sp.GetRequiredService<DomainPlacement>()));
        services.AddSingleton(sp => new MessageOperatorActions(sp.GetRequiredService<DeliveryEngine>()));
        services.AddSingleton<IAdminRoutes, MessageActionRoutes>();
        services.AddSingleton<IAdminRoutes>(sp => new EventRoutes(sp.GetRequiredService<AccountingEventFeed>()));
        // The control plane's route groups: config reload, the cluster's leader/leave/down, the shard regions, spool backup.
        services.AddSingleton<IAdminRoutes>(sp => new ConfigAdminRoutes(sp.GetRequiredService<ReloadService>()));
        services.AddSingleton<IAdminRoutes>(sp => new ClusterAdminRoutes(sp.GetRequiredService<AdminApi>(), node, sp.GetService<IClusterStatusSource>()));
        services.AddSingleton<IAdminRoutes>(sp =>
        {
            var maxShards = sp.GetRequiredService<ShardingOptions>().MaxShards;
            var member = clustered ? sp.GetRequiredService<ClusterMember>() : null;
            return new ShardingAdminRoutes(sp.GetRequiredService<AdminApi>(), sp.GetRequiredService<DeliveryEngine>(), sp.GetRequiredService<IQueueStore>(),
                sp.GetRequiredService<ShardingOptions>(), sp.GetRequiredService<DomainPlacement>(), node,
                member is null ? () => maxShards : () => member.HeldShardCount, sp.GetService<IClusterStatusSource>());
        });
        services.AddSingleton<IAdminRoutes>(_ => new SpoolAdminRoutes(spool, node));
        services.AddSingleton<AdminEndpointService>();
        services.AddHostedService(sp => sp.GetRequiredService<AdminEndpointService>());
        if (clustered)
        {
            // After the endpoint has bound: the heartbeat publishes its address and this node's entities for the other nodes.
            services.AddHostedService(sp => new ClusterStatusPublisher(sp.GetRequiredService<ClusterMember>(), sp.GetRequiredService<AdminApi>(),
                sp.GetRequiredService<ClusterOptions>()));
        }
    }

    private static void AddClusterMember(IServiceCollection services, IConfigurationRoot configuration, NodeOptions node, ShardingOptions sharding, SpoolOptions spool)
    {
        var cluster = NodeConfigurationSections.Bind<ClusterOptions>(configuration);
        var smtp = NodeConfigurationSections.Bind<SmtpServerOptions>(configuration);
        services.AddSingleton(cluster);
        services.AddSingleton(sp => new ClusterMember(
            new ClusterMemberOptions
            {
                ConnectionString = spool.ConnectionString!,
                NodeName = node.EffectiveName,
                MaxShards = sharding.MaxShards,
                FailureTimeout = cluster.FailureTimeout,
                HeartbeatInterval = cluster.HeartbeatInterval,
                RebalanceAbsoluteLimit = cluster.RebalanceAbsoluteLimit,
                RebalanceRelativeLimit = cluster.RebalanceRelativeLimit,
                Advertised = AdvertisedListeners(smtp),
            },
            sp.GetRequiredService<ILogger<ClusterMember>>()));
        services.AddSingleton(new PostgresWakeListenerOptions { ConnectionString = spool.ConnectionString! });
        services.AddSingleton(_ => new PostgresWakePublisher(spool.ConnectionString!));
        services.AddSingleton(sp => new StoreWakeForwarder(sp.GetRequiredService<PostgresWakePublisher>(), sp.GetRequiredService<ILogger<StoreWakeForwarder>>()));
    }

    /// <summary>The node's listener ports as JSON (name to port), for the cluster's status of its nodes.</summary>
    private static string AdvertisedListeners(SmtpServerOptions smtp) =>
        System.Text.Json.JsonSerializer.Serialize(smtp.Listeners
            .Where(l => l.Value.Enabled)
            .ToDictionary(l => l.Key, l => l.Value.Port));

    private static void AddDelivery(IServiceCollection services, IConfigurationRoot configuration, NodeOptions node, ShardingOptions sharding, SpoolOptions spool, bool clustered)
    {
        var options = NodeConfigurationSections.Bind<DeliveryOptions>(configuration);
        var dns = NodeConfigurationSections.Bind<DnsOptions>(configuration);
        var domainsFile = options.DomainsFile ?? NodeConfiguration.FindDefaultFile(fileName: "domains.yaml");
        // A bad policy file stops the node at start, naming the key, rather than delivering under defaults.
        var policies = new DomainPolicyHolder(domainsFile is null
            ? DomainPolicyLoader.Parse("default: {}\n", "built-in defaults")
            : DomainPolicyLoader.Load(domainsFile));
        options.Accounting.Directory = Path.Combine(node.FullDataDir, options.Accounting.Directory);

        // Taken once: every node must place a domain alike, and queued rows carry the shard they were filed under.
        var placement = DomainPlacement.From(policies.Current.Configuration, sharding.MaxShards);

        services.AddSingleton(options);
        services.AddSingleton(policies);
        services.AddSingleton(placement);
        // SIGHUP reads the same file again (see ReloadService).
        services.AddSingleton(sp => new DomainPolicyReloader(policies, domainsFile, sp.GetRequiredService<ILoggerFactory>().CreateLogger("MtaCluster.Node.Reload"), placement));
        services.AddSingleton(sp => new LookupClient(dns.ToLookupClientOptions(), sp.GetRequiredService<ILogger<LookupClient>>()));
        services.AddSingleton(sp => new AccountingLog(options.Accounting, logger: sp.GetRequiredService<ILogger<AccountingLog>>()));
        // The live stream of the admin endpoint's /api/events, beside the log.
        services.AddSingleton<AccountingEventFeed>();
        services.AddSingleton(sp => new ReceptionRecorder(sp.GetRequiredService<AccountingEventFeed>(),
            options.Accounting.RecordReceived ? sp.GetRequiredService<AccountingLog>() : null));
        services.AddSingleton(sp =>
        {
            var lookup = sp.GetRequiredService<LookupClient>();
            var context = new DeliveryContext(
                sp.GetRequiredService<IQueueStore>(),
                new MailRouteResolver(lookup, lookup, options.RemotePort, dns.MaxConcurrentLookups),
                policies,
                new CompositeAccountingSink([sp.GetRequiredService<AccountingLog>(), sp.GetRequiredService<AccountingEventFeed>()],
                    sp.GetRequiredService<ILogger<CompositeAccountingSink>>()),
                options,
                sp.GetRequiredService<ILoggerFactory>())
            {
                TenantHolder = sp.GetRequiredService<TenantDirectoryHolder>(),
            };
            DeliveryEngine? engine = null;
            // DSNs come from the name the node greets with, which is also the name in its Received headers.
            var reportingMta = NodeConfigurationSections.Bind<SmtpServerOptions>(configuration).EffectiveHostName();
            var lifecycle = new MessageLifecycleContext(
                sp.GetRequiredService<IQueueStore>(),
                new MimeDeliveryReportComposer(reportingMta),
                new MessageLifecycleOptions
                {
                    ReportingMta = reportingMta,
                    RetainFinishedMessages = spool.RetainFinishedMessages,
                    DelayNoticeAfter = options.DelayNoticeAfter,
                    SweepInterval = spool.SweepInterval,
                },
                sharding.MaxShards,
                sp.GetRequiredService<ILoggerFactory>(),
                recipients => engine!.OnNewWork(recipients.Select(r => r.Domain).Distinct()),
                // By name: a policy that applies by MX pattern is not known before the domain's MX lookup.
                maxAgeOf: domain => policies.Current.Resolver.Resolve(domain).Policy.Retry.MaxAge)
            {
                Placement = placement,
            };
            engine = clustered
                ? new DeliveryEngine(sp.GetRequiredService<ActorSystem>(), context, sharding.MaxShards, sharding.PassivateIdleEntityAfter, lifecycle,
                    sp.GetRequiredService<ClusterMember>().Ownership, sp.GetRequiredService<StoreWakeForwarder>(), placement)
                : new DeliveryEngine(sp.GetRequiredService<ActorSystem>(), context, sharding.MaxShards, sharding.PassivateIdleEntityAfter, lifecycle, placement: placement);
            return engine;
        });
        services.AddSingleton<DeliveryService>();
        services.AddSingleton<INewWorkListener>(sp => sp.GetRequiredService<DeliveryService>());
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryService>());
    }

    private static void AddSmtpServer(IServiceCollection services, IConfigurationRoot configuration, NodeOptions node, ShardingOptions sharding)
    {
        var options = NodeConfigurationSections.Bind<SmtpServerOptions>(configuration);
        options.DataDirectory ??= node.FullDataDir;

        // Keys are read once, here: one that cannot be used stops the start (DkimSignerFactory).
        var dkim = DkimSignerFactory.Create(NodeConfigurationSections.Bind<DkimOptions>(configuration), node.FullDataDir, configuration);
        services.AddSingleton<IMessageSpool>(sp => new QueueStoreSpool(sp.GetRequiredService<IQueueStore>(), sharding.MaxShards, sp.GetService<INewWorkListener>(),
            sp.GetRequiredService<TenantDirectoryHolder>(), sp.GetRequiredService<ILogger<QueueStoreSpool>>(), dkim, sp.GetRequiredService<DomainPlacement>(),
            sp.GetService<ReceptionRecorder>()));
        services.AddSingleton(sp =>
        {
            var loggerFactory = sp.GetRequiredService<ILoggerFactory>();
            var certificate = TlsCertificateProvider.LoadOrCreate(options, loggerFactory.CreateLogger("MtaCluster.Smtp.Tls"));
            return new SmtpServerContext(options, sp.GetRequiredService<IMessageSpool>(), new ConfiguredUserAuthenticator(options.Auth), certificate, loggerFactory,
                capacity: sp.GetRequiredService<SpoolSpaceMonitor>());
        });
        services.AddHostedService<SmtpServerService>();
    }
}
