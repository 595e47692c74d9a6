namespace MtaCluster.Actors.Sharding;

internal readonly record struct BufferedMessage(string EntityId, object Message, IActorRef? Sender);
