namespace MtaCluster.Storage.Sqlite;

// An operator's actions on one message: writes of the single writer, like every other.
public sealed partial class SqliteQueueStore
{
    /// <inheritdoc />
    public Task<MessageAction?> BounceMessageAsync(string messageId, string reply, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reply);
        return OperatorActionAsync(OperatorActionKind.Bounce, messageId, reply, now, cancellationToken);
    }

    /// <inheritdoc />
    public Task<MessageAction?> RetryMessageAsync(string messageId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        OperatorActionAsync(OperatorActionKind.Retry, messageId, null, now, cancellationToken);

    /// <inheritdoc />
    public Task<MessageAction?> RemoveMessageAsync(string messageId, CancellationToken cancellationToken = default) =>
        OperatorActionAsync(OperatorActionKind.Remove, messageId, null, default, cancellationToken);

    private async Task<MessageAction?> OperatorActionAsync(OperatorActionKind kind, string messageId, string? reply, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var operation = new SqliteOperatorActionOperation(kind, messageId, reply, now);
        await Writer.SubmitAsync(operation, cancellationToken).ConfigureAwait(false);
        return operation.Result;
    }
}
