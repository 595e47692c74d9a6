namespace MtaCluster.Storage.Sqlite;

/// <summary>The writer connection's <c>PRAGMA synchronous</c> in WAL mode.</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// The WAL is fsync'd at every commit: a commit survives power loss. Required for the
    /// <c>250</c> promise; with group commit it costs little (see the spool benchmark).
    /// </summary>
    Full,

    /// <summary>
    /// The WAL is fsync'd only at checkpoints: a commit survives a process crash but the last ones
    /// can be lost on power loss. For measurements and throwaway nodes.
    /// </summary>
    Normal,
}
