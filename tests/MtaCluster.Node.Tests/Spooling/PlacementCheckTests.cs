using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Policies;
using MtaCluster.Node.Spooling;
using MtaCluster.Storage;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Node.Tests.Spooling;

/// <summary>
/// The start check of a changed list of domains placed by their MX-rollup group: the queued rows of
/// the domains it moves are re-filed and the new fingerprint stored, unless other nodes run, which
/// place by the old list: then the start is refused and nothing moves.
/// </summary>
public sealed class PlacementCheckTests : IAsyncLifetime
{
    private const int Shards = 1024;

    private readonly string _directory = Directory.CreateTempSubdirectory("placement-check-").FullName;
    private SqliteQueueStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory));
        await _store.InitializeAsync();
        // Queued by a node that placed every domain by its own name, as before lists existed.
        foreach (var domain in new[] { "gmail.com", "googlemail.com", "other.test" })
        {
            var recipients = Enumerable.Range(0, 3).Select(i => new SpoolRecipient($"user{i}@{domain}", domain, ShardHash.ShardOf(domain, Shards))).ToArray();
            await _store.EnqueueAsync(new SpoolMessage(QueueId.New(), "sender@example.com", recipients, "Subject: x\r\n\r\nx\r\n"u8.ToArray(), DateTimeOffset.UtcNow));
        }
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static DomainPlacement Listing(params string[] domains) => DomainPlacement.From(DomainPolicyLoader.Parse($"""
        mx-patterns:
          - name: google
            match: ["*.google.com"]
            domains: [{string.Join(", ", domains)}]
        """), Shards);

    private async Task<Dictionary<string, int>> ShardsAsync() =>
        (await _store.GetPendingDomainsAsync(null, 100)).Domains.ToDictionary(d => d.Domain, d => d.Shard);

    [Fact]
    public async Task A_changed_list_re_files_the_domains_it_moves_and_stores_its_fingerprint()
    {
        var placement = Listing("gmail.com", "googlemail.com");
        Assert.Null(await ShardCountCheck.RunAsync(_store, placement, _ => Task.FromResult<IReadOnlyList<string>>([]), logger: null));

        var google = ShardHash.ShardOf("mx:google", Shards);
        var shards = await ShardsAsync();
        Assert.Equal(google, shards["gmail.com"]);
        Assert.Equal(google, shards["googlemail.com"]);
        Assert.Equal(ShardHash.ShardOf("other.test", Shards), shards["other.test"]);
        Assert.Equal(3, (await _store.GetDueRecipientsAsync(google, DateTimeOffset.UtcNow.AddMinutes(1), 100)).Count(r => r.Domain == "gmail.com"));
        Assert.Equal(placement.Fingerprint, await _store.GetPlacementAsync());

        // The next start under the same list checks the rows against it (and finds them right).
        Assert.Null(await ShardCountCheck.RunAsync(_store, placement, _ => throw new InvalidOperationException("not asked when nothing changes"), logger: null));

        // Taking a domain out of the list files its rows by its own name again.
        var smaller = Listing("gmail.com");
        Assert.Null(await ShardCountCheck.RunAsync(_store, smaller, otherLiveNodes: null, logger: null));
        Assert.Equal(ShardHash.ShardOf("googlemail.com", Shards), (await ShardsAsync())["googlemail.com"]);
        Assert.Equal(google, (await ShardsAsync())["gmail.com"]);
        Assert.Equal(smaller.Fingerprint, await _store.GetPlacementAsync());
    }

    [Fact]
    public async Task A_changed_list_is_refused_while_other_nodes_run_and_nothing_moves()
    {
        var before = await ShardsAsync();
        var reason = await ShardCountCheck.RunAsync(_store, Listing("gmail.com"), _ => Task.FromResult<IReadOnlyList<string>>(["n2", "n3"]), logger: null);

        Assert.NotNull(reason);
        Assert.Contains("than the running nodes n2, n3 place by", reason);
        Assert.Equal(before, await ShardsAsync());
        Assert.Null(await _store.GetPlacementAsync());
    }

    [Fact]
    public async Task A_changed_shard_count_is_still_refused_under_a_list()
    {
        Assert.Null(await ShardCountCheck.RunAsync(_store, Shards));
        var reason = await ShardCountCheck.RunAsync(_store, DomainPlacement.From(DomainPolicyLoader.Parse("default: {}\n"), 64), otherLiveNodes: null, logger: null);
        Assert.NotNull(reason);
        Assert.StartsWith("Sharding:MaxShards is 64 but", reason);
    }
}
