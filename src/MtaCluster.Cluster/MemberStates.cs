namespace MtaCluster.Cluster;

/// <summary>The <c>nodes.state</c> spelling of <see cref="MemberState"/> (constant strings: a round allocates none).</summary>
public static class MemberStates
{
    public const string Joining = "joining";
    public const string Up = "up";
    public const string Leaving = "leaving";
    public const string Down = "down";
    public const string Removed = "removed";

    public static string ToText(MemberState state) => state switch
    {
        MemberState.Joining => Joining,
        MemberState.Up => Up,
        MemberState.Leaving => Leaving,
        MemberState.Down => Down,
        MemberState.Removed => Removed,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static MemberState Parse(string text) => text switch
    {
        Joining => MemberState.Joining,
        Up => MemberState.Up,
        Leaving => MemberState.Leaving,
        Down => MemberState.Down,
        Removed => MemberState.Removed,
        _ => throw new FormatException($"Unknown member state '{text}'."),
    };
}
