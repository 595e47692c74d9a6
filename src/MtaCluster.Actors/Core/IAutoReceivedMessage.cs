namespace MtaCluster.Actors;

/// <summary>Marks messages the runtime acts on itself before (or instead of) the actor's handler.</summary>
internal interface IAutoReceivedMessage;
