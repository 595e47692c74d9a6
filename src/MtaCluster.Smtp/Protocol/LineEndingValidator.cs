namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// Checks that every CR is followed by LF and every LF preceded by CR, across any split of the
/// input. BDAT content is taken as counted octets, so unlike DATA nothing in the transfer itself
/// rules out a bare &lt;LF&gt;.&lt;LF&gt;; relaying such a body over DATA to a lenient receiver would
/// smuggle a second message through us.
/// </summary>
public struct LineEndingValidator
{
    private bool _afterCr;

    public bool HasBareLineEnding { get; private set; }

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (HasBareLineEnding || data.IsEmpty) return;
        if (_afterCr && data[0] != (byte)'\n') { HasBareLineEnding = true; return; }
        var start = _afterCr ? 1 : 0;
        _afterCr = false;
        while (true)
        {
            var rest = data[start..];
            var at = rest.IndexOfAny((byte)'\r', (byte)'\n');
            if (at < 0) return;
            var index = start + at;
            if (data[index] == (byte)'\n') { HasBareLineEnding = true; return; }
            if (index + 1 == data.Length) { _afterCr = true; return; }
            if (data[index + 1] != (byte)'\n') { HasBareLineEnding = true; return; }
            start = index + 2;
        }
    }

    /// <summary>True when the whole input, now complete, had only CRLF line endings.</summary>
    public bool Complete()
    {
        if (_afterCr) HasBareLineEnding = true;
        return !HasBareLineEnding;
    }

    public void Reset()
    {
        _afterCr = false;
        HasBareLineEnding = false;
    }
}
