using System.Buffers;
using System.Collections;
using System.IO.Pipelines;

namespace MtaCluster.Mime;

/// <summary>
/// A message's header fields in their order; lookups are case-insensitive and duplicates are kept (Received,
/// DKIM-Signature), so writing the list back reproduces the header byte for byte.
/// </summary>
public sealed class HeaderList : IReadOnlyList<Header>
{
    private readonly List<Header> _headers = [];

    public int Count => _headers.Count;

    public Header this[int index] => _headers[index];

    /// <summary>The first field named <paramref name="field"/>'s decoded value, or null.</summary>
    public string? this[string field] => TryGetHeader(field, out Header? header) ? header.Value : null;

    public void Add(Header header) => _headers.Add(header);

    public void Add(string field, string value) => _headers.Add(new Header(field, value));

    public bool Contains(string field) => TryGetHeader(field, out _);

    public bool TryGetHeader(string field, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Header? header)
    {
        foreach (Header h in _headers)
        {
            if (string.Equals(h.Field, field, StringComparison.OrdinalIgnoreCase))
            {
                header = h;
                return true;
            }
        }

        header = null;
        return false;
    }

    public IEnumerable<Header> GetAll(string field) =>
        _headers.Where(h => string.Equals(h.Field, field, StringComparison.OrdinalIgnoreCase));

    /// <summary>The raw fields in order, as read (no blank line after them).</summary>
    public async Task WriteToAsync(Stream output, CancellationToken cancellationToken = default)
    {
        foreach (Header header in _headers)
        {
            await output.WriteAsync(header.RawField, cancellationToken);
        }
    }

    /// <summary>Parses the header at the start of <paramref name="input"/>; see <see cref="HeaderParser"/>.</summary>
    public static HeaderList Parse(ReadOnlySequence<byte> input, int maxHeaderBytes = HeaderParser.DefaultMaxHeaderBytes) =>
        HeaderParser.Parse(input, maxHeaderBytes, out _);

    /// <inheritdoc cref="HeaderParser.LoadAsync(PipeReader, int, CancellationToken)"/>
    public static ValueTask<HeaderList> LoadAsync(PipeReader reader, int maxHeaderBytes = HeaderParser.DefaultMaxHeaderBytes,
        CancellationToken cancellationToken = default) => HeaderParser.LoadAsync(reader, maxHeaderBytes, cancellationToken);

    /// <inheritdoc cref="HeaderParser.LoadAsync(Stream, int, CancellationToken)"/>
    public static Task<HeaderList> LoadAsync(Stream stream, int maxHeaderBytes = HeaderParser.DefaultMaxHeaderBytes,
        CancellationToken cancellationToken = default) => HeaderParser.LoadAsync(stream, maxHeaderBytes, cancellationToken);

    public IEnumerator<Header> GetEnumerator() => _headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
