using System.Net;
using MtaCluster.Mail;
using MtaCluster.Node.Spooling;
using MtaCluster.Smtp.Spool;
using MtaCluster.Storage;
using MtaCluster.Storage.Sqlite;
using Server = MtaCluster.Smtp.Protocol;

namespace MtaCluster.Node.Tests.Spooling;

/// <summary>
/// The server still has its own envelope enums; what it accepted must reach the spool with the
/// same meaning in the shared vocabulary, mapped by name, not by number.
/// </summary>
public sealed class QueueStoreSpoolTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("spool-map-").FullName;
    private SqliteQueueStore _store = null!;

    public static TheoryData<Server.DsnNotify, DsnNotify> Notifies => new()
    {
        { Server.DsnNotify.None, DsnNotify.NotGiven },
        { Server.DsnNotify.Never, DsnNotify.Never },
        { Server.DsnNotify.Success, DsnNotify.Success },
        { Server.DsnNotify.Failure | Server.DsnNotify.Delay, DsnNotify.Failure | DsnNotify.Delay },
        { Server.DsnNotify.Success | Server.DsnNotify.Failure | Server.DsnNotify.Delay, DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay },
    };

    public static TheoryData<Server.MessageBodyType, Server.DsnReturn, MessageBodyType, DsnReturn> Envelopes => new()
    {
        { Server.MessageBodyType.NotSpecified, Server.DsnReturn.NotSpecified, MessageBodyType.SevenBit, DsnReturn.NotGiven },
        { Server.MessageBodyType.SevenBit, Server.DsnReturn.Full, MessageBodyType.SevenBit, DsnReturn.Full },
        { Server.MessageBodyType.EightBitMime, Server.DsnReturn.Headers, MessageBodyType.EightBitMime, DsnReturn.Headers },
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
    public async Task Notify_keeps_its_meaning(Server.DsnNotify accepted, DsnNotify spooled)
    {
        string id = await AcceptAsync(accepted, Server.MessageBodyType.NotSpecified, Server.DsnReturn.NotSpecified);
        Assert.Equal(spooled, Assert.Single(await _store.GetRecipientsAsync(id)).Notify);
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public async Task Body_type_and_ret_keep_their_meaning(Server.MessageBodyType body, Server.DsnReturn ret, MessageBodyType spooledBody, DsnReturn spooledReturn)
    {
        string id = await AcceptAsync(Server.DsnNotify.None, body, ret);
        StoredMessage? stored = await _store.GetMessageAsync(id);
        Assert.NotNull(stored);
        Assert.Equal(spooledBody, stored.BodyType);
        Assert.Equal(spooledReturn, stored.DsnReturn);
    }

    private async Task<string> AcceptAsync(Server.DsnNotify notify, Server.MessageBodyType body, Server.DsnReturn ret)
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
