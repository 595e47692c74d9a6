namespace MtaCluster.Actors;

/// <summary>Replies with a meaning to <see cref="ActorRefExtensions.Ask{T}"/>.</summary>
public static class Status
{
    /// <summary>Replying with this makes the asker's task throw <see cref="Cause"/>.</summary>
    public sealed record Failure(Exception Cause);

    public sealed record Success(object? Value);
}
