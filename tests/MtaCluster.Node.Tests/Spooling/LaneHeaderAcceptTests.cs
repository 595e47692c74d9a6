using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Mail;
using MtaCluster.Node.Spooling;
using MtaCluster.Smtp.Spool;
using MtaCluster.Storage;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Spooling;

/// <summary>
/// What the spool makes of a submission's tenant and lane: the tenant from the AUTH user, the lane
/// from X-MtaCluster-Lane only when the client may choose, the lane and campaign fields gone from
/// what is stored, and a bad value a warning in the log rather than a refusal.
/// </summary>
public sealed class LaneHeaderAcceptTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("spool-lanes-").FullName;
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Provider) _logs = CapturingLoggerProvider.CreateFactory(LogLevel.Warning);
    private SqliteQueueStore _store = null!;
    private QueueStoreSpool _spool = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory));
        await _store.InitializeAsync();
        var tenants = new TenantDirectoryHolder(new TenantDirectory(new TenantsOptions
        {
            ["acme"] = new TenantOptions { Users = ["app1"], DefaultLane = DeliveryLane.Bulk },
            ["shop"] = new TenantOptions { Users = ["app2"], DefaultLane = DeliveryLane.Transactional },
        }));
        _spool = new QueueStoreSpool(_store, maxShards: 16, tenants: tenants, logger: _logs.Factory.CreateLogger<QueueStoreSpool>());
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _logs.Factory.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private const string Rest = "Subject: hello\r\nTo: <a@example.test>\r\n\r\nbody line\r\nX-MtaCluster-Lane: bulk\r\n";

    private async Task<(StoredMessage Message, QueuedRecipient Recipient, string Content)> AcceptAsync(
        string header, string? user, bool trusted, int pieceSize = 7)
    {
        var id = _spool.NewMessageId();
        var body = Encoding.ASCII.GetBytes(header + Rest);
        var prefix = Encoding.ASCII.GetBytes("Received: from client.test by mta.test; Tue, 1 Dec 2026 00:00:00 +0000\r\n");
        await _spool.AcceptAsync(new ReceivedMessage
        {
            Id = id,
            ReversePath = "sender@origin.test",
            Recipients = [new ReceivedRecipient("a@example.test", "example.test", DsnNotify.NotGiven, null)],
            ClientAddress = IPAddress.Parse("192.0.2.7"),
            ClientHelo = "client.test",
            AuthenticatedUser = user,
            ClientTrusted = trusted,
            ListenerName = "relay",
            ReceivedAt = DateTimeOffset.UtcNow,
            // The body in small pieces, as it comes off the socket, so a field crosses piece boundaries.
            Content = new MessageContent(prefix, SegmentedSequence.Chunked(body, pieceSize)),
        }, CancellationToken.None);
        var message = await _store.GetMessageAsync(id);
        Assert.NotNull(message);
        using var loaded = await _store.LoadMessageAsync(id);
        return (message, Assert.Single(await _store.GetRecipientsAsync(id)), Encoding.ASCII.GetString(loaded!.Content.Span));
    }

    [Fact]
    public async Task An_authenticated_client_chooses_its_lane_and_both_fields_are_removed()
    {
        var (message, recipient, content) = await AcceptAsync("X-MtaCluster-Lane: transactional\r\nX-MtaCluster-Campaign: spring-26\r\n", "app1", trusted: false);
        Assert.Equal(("acme", DeliveryLane.Transactional, "spring-26"), (message.Tenant, message.Lane, message.Campaign));
        Assert.Equal(("acme", DeliveryLane.Transactional), (recipient.Tenant, recipient.Lane));
        Assert.StartsWith("Received: from client.test", content, StringComparison.Ordinal);
        Assert.DoesNotContain("X-MtaCluster-Campaign", content, StringComparison.Ordinal);
        // Only the header block is read: the same text in the body stays, byte for byte.
        Assert.EndsWith("\r\nSubject: hello\r\nTo: <a@example.test>\r\n\r\nbody line\r\nX-MtaCluster-Lane: bulk\r\n", content, StringComparison.Ordinal);
        Assert.Equal(1, content.Split("X-MtaCluster-Lane").Length - 1);
        Assert.Empty(_logs.Provider.Lines);
    }

    [Fact]
    public async Task A_folded_field_is_removed_with_its_continuation_lines()
    {
        var (message, _, content) = await AcceptAsync("Subject-Before: x\r\nX-MtaCluster-Campaign:\r\n  folded-id\r\n", "app1", trusted: false, pieceSize: 3);
        Assert.Equal("folded-id", message.Campaign);
        Assert.Contains("Subject-Before: x\r\nSubject: hello\r\n", content, StringComparison.Ordinal);
        Assert.DoesNotContain("folded-id", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trusted_client_without_auth_chooses_its_lane_as_tenant_default()
    {
        var (message, _, _) = await AcceptAsync("X-MtaCluster-Lane: Transactional\r\n", user: null, trusted: true);
        Assert.Equal(("default", DeliveryLane.Transactional), (message.Tenant, message.Lane));
    }

    [Fact]
    public async Task A_client_neither_authenticated_nor_trusted_cannot_choose_a_lane()
    {
        var (message, _, content) = await AcceptAsync("X-MtaCluster-Lane: transactional\r\n", user: null, trusted: false);
        Assert.Equal(("default", DeliveryLane.Bulk), (message.Tenant, message.Lane));
        // Taken out all the same: a next hop never sees our control fields.
        Assert.DoesNotContain("X-MtaCluster-Lane: transactional", content, StringComparison.Ordinal);
        var warning = Assert.Single(_logs.Provider.Lines);
        Assert.Contains("neither authenticated nor trusted", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_lane_is_the_tenants_default_with_a_warning()
    {
        var (message, _, content) = await AcceptAsync("X-MtaCluster-Lane: urgent\r\n", "app2", trusted: false);
        Assert.Equal(("shop", DeliveryLane.Transactional), (message.Tenant, message.Lane));
        Assert.DoesNotContain("urgent", content, StringComparison.Ordinal);
        var warning = Assert.Single(_logs.Provider.Lines);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("neither transactional nor bulk", warning.Message, StringComparison.Ordinal);
        Assert.Equal(message.Id, warning["Id"]);
    }

    [Fact]
    public async Task A_message_without_the_fields_is_stored_as_it_came_in_its_tenants_default_lane()
    {
        var (message, _, content) = await AcceptAsync("", "app2", trusted: false);
        Assert.Equal(("shop", DeliveryLane.Transactional, null), (message.Tenant, message.Lane, message.Campaign));
        Assert.EndsWith("\r\n" + Rest, content, StringComparison.Ordinal);
        Assert.Empty(_logs.Provider.Lines);
    }
}
