using Microsoft.Extensions.Configuration;

namespace MtaCluster.Node.Hosting;

/// <summary>
/// Settings that change while the node runs (the <c>Logging</c> levels, on SIGHUP): a provider whose
/// data is replaced whole with values already read and checked, and whose reload token then fires,
/// so whatever is bound to it (the logger filters) follows. The node's configuration root is never
/// reloaded in place: a file that fails to parse on reload would leave that root empty.
/// </summary>
public sealed class LiveConfigurationProvider : ConfigurationProvider
{
    public LiveConfigurationProvider(IEnumerable<KeyValuePair<string, string?>> initial) => Replace(initial, notify: false);

    public IReadOnlyDictionary<string, string?> Values => new Dictionary<string, string?>(Data, StringComparer.OrdinalIgnoreCase);

    public void Replace(IEnumerable<KeyValuePair<string, string?>> values) => Replace(values, notify: true);

    private void Replace(IEnumerable<KeyValuePair<string, string?>> values, bool notify)
    {
        Data = new Dictionary<string, string?>(values, StringComparer.OrdinalIgnoreCase);
        if (notify) OnReload();
    }
}
