namespace MtaCluster.Dns.Protocol;

/// <summary>
/// Fixed-capacity character buffer for building one domain name without intermediate strings.
/// Capacity covers the worst case: 255 wire octets each escaped as <c>\DDD</c>.
/// </summary>
internal ref struct ValueStringBuilderLite
{
    private readonly Span<char> _buffer;
    private int _length;

    public ValueStringBuilderLite(Span<char> buffer)
    {
        _buffer = buffer;
        _length = 0;
    }

    public void Append(char c) => _buffer[_length++] = c;

    public override string ToString() => new(_buffer[.._length]);
}
