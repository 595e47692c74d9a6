using System.Net;
using MtaCluster.Mail;
using MtaCluster.Node.Spooling;
using MtaCluster.Smtp.Spool;
using MtaCluster.Storage;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Node.Tests.Spooling;

/// <summary>
/// The server and the spool share one envelope vocabulary; what the server accepted must come back
/// out of the store with the same meaning, "not given" kept apart from NEVER and from an explicit value.
/// </summary>
public sealed class QueueStoreSpoolTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("spool-map-").FullName;
    private SqliteQueueStore _store = null!;

    public static TheoryData<DsnNotify> Notifies => new()
    {
        DsnNotify.NotGiven,
        DsnNotify.Never,
        DsnNotify.Success,
        DsnNotify.Failure | DsnNotify.Delay,
        DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay,
    };

    public static TheoryData<MessageBodyType, DsnReturn> Envelopes => new()
    {
        { MessageBodyType.SevenBit, DsnReturn.NotGiven },
        { MessageBodyType.SevenBit, DsnReturn.Full },
        { MessageBodyType.EightBitMime, DsnReturn.Headers },
    };

    public async Task InitializeAsync()
    {
        _store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory));
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Notifies))]
    public async Task Notify_keeps_its_meaning(DsnNotify accepted)
    {
        string id = await AcceptAsync(accepted, MessageBodyType.SevenBit, DsnReturn.NotGiven);
        Assert.Equal(accepted, Assert.Single(await _store.GetRecipientsAsync(id)).Notify);
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public async Task Body_type_and_ret_keep_their_meaning(MessageBodyType body, DsnReturn ret)
    {
        string id = await AcceptAsync(DsnNotify.NotGiven, body, ret);
        StoredMessage? stored = await _store.GetMessageAsync(id);
        Assert.NotNull(stored);
        Assert.Equal(body, stored.BodyType);
        Assert.Equal(ret, stored.DsnReturn);
    }

    private async Task<string> AcceptAsync(DsnNotify notify, MessageBodyType body, DsnReturn ret)
    {
        var spool = new QueueStoreSpool(_store, maxShards: 16);
        string id = spool.NewMessageId();
        await spool.AcceptAsync(
            new ReceivedMessage
            {
                Id = id,
                ReversePath = "sender@origin.test",
                Recipients = [new ReceivedRecipient("a@example.test", "example.test", notify, "rfc822;a@example.test")],
                BodyType = body,
                Return = ret,
                ClientAddress = IPAddress.Loopback,
                ClientHelo = "client.test",
                ListenerName = "relay",
                ReceivedAt = DateTimeOffset.UtcNow,
                Content = "Subject: x\r\n\r\nbody\r\n"u8.ToArray(),
            },
            CancellationToken.None);
        return id;
    }
}
