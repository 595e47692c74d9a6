namespace MtaCluster.Mime;

/// <summary>A named group of mailboxes (RFC 5322 §3.4): "undisclosed-recipients:;" is a group with none.</summary>
public sealed class GroupAddress(string name, IEnumerable<InternetAddress>? members = null) : InternetAddress(name)
{
    public InternetAddressList Members { get; } = new(members ?? []);

    public override string ToString(bool utf8) => $"{FormatPhrase(Name, utf8)}:{(Members.Count > 0 ? " " : "")}{Members.ToString(utf8)};";
}
