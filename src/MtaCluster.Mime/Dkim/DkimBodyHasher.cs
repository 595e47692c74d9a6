using System.Buffers;
using System.Security.Cryptography;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// The bh= value (RFC 6376 §3.7): SHA-256 of the canonicalised body, computed over the buffers the
/// body is in, segment by segment, with no copy of the body. Simple (§3.4.3) hashes the body as it
/// is up to its trailing empty lines; relaxed (§3.4.4) goes through a small stack buffer.
/// </summary>
public static class DkimBodyHasher
{
    public const int HashLength = 32;

    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';
    private const int ChunkLength = 4096;

    public static void Hash(in ReadOnlySequence<byte> body, DkimCanonicalizationAlgorithm canonicalization, Span<byte> hash)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (canonicalization == DkimCanonicalizationAlgorithm.Simple) HashSimple(sha, body);
        else HashRelaxed(sha, body);
        sha.GetHashAndReset(hash);
    }

    public static byte[] Hash(in ReadOnlySequence<byte> body, DkimCanonicalizationAlgorithm canonicalization)
    {
        var hash = new byte[HashLength];
        Hash(body, canonicalization, hash);
        return hash;
    }

    // §3.4.3: trailing empty lines go, and a body that does not end in CRLF gets one; an empty body is one CRLF.
    private static void HashSimple(IncrementalHash sha, in ReadOnlySequence<byte> body)
    {
        var end = body.Length;
        while (end >= 2 && EndsWithCrLf(body, end)) end -= 2;
        foreach (var segment in body.Slice(0, end)) sha.AppendData(segment.Span);
        sha.AppendData("\r\n"u8);
    }

    private static bool EndsWithCrLf(in ReadOnlySequence<byte> body, long end)
    {
        Span<byte> two = stackalloc byte[2];
        body.Slice(end - 2, 2).CopyTo(two);
        return two[0] == Cr && two[1] == Lf;
    }

    // §3.4.4: white space at the end of a line goes, runs of it inside a line become one SP, then the
    // trailing empty lines go; an empty body stays empty. The CRLFs of empty lines are held back
    // until a line with content shows they were not trailing.
    private static void HashRelaxed(IncrementalHash sha, in ReadOnlySequence<byte> body)
    {
        Span<byte> chunk = stackalloc byte[ChunkLength];
        var used = 0;
        long heldLineBreaks = 0;
        var pendingSpace = false;
        var pendingCr = false;
        var anyContent = false;

        foreach (var segment in body)
        {
            foreach (var b in segment.Span)
            {
                if (pendingCr)
                {
                    pendingCr = false;
                    if (b == Lf)
                    {
                        heldLineBreaks++;
                        pendingSpace = false;
                        continue;
                    }
                    Emit(sha, chunk, ref used, ref heldLineBreaks, ref pendingSpace, Cr);
                    anyContent = true;
                }
                if (b == Cr)
                {
                    pendingCr = true;
                }
                else if (b is (byte)' ' or (byte)'\t')
                {
                    pendingSpace = true;
                }
                else
                {
                    Emit(sha, chunk, ref used, ref heldLineBreaks, ref pendingSpace, b);
                    anyContent = true;
                }
            }
        }
        if (pendingCr)
        {
            Emit(sha, chunk, ref used, ref heldLineBreaks, ref pendingSpace, Cr);
            anyContent = true;
        }
        if (anyContent) Put(sha, chunk, ref used, "\r\n"u8);
        if (used > 0) sha.AppendData(chunk[..used]);
    }

    private static void Emit(IncrementalHash sha, Span<byte> chunk, ref int used, ref long heldLineBreaks, ref bool pendingSpace, byte b)
    {
        for (; heldLineBreaks > 0; heldLineBreaks--) Put(sha, chunk, ref used, "\r\n"u8);
        if (pendingSpace)
        {
            Put(sha, chunk, ref used, " "u8);
            pendingSpace = false;
        }
        if (used == chunk.Length)
        {
            sha.AppendData(chunk);
            used = 0;
        }
        chunk[used++] = b;
    }

    private static void Put(IncrementalHash sha, Span<byte> chunk, ref int used, ReadOnlySpan<byte> bytes)
    {
        if (used + bytes.Length > chunk.Length)
        {
            sha.AppendData(chunk[..used]);
            used = 0;
        }
        bytes.CopyTo(chunk[used..]);
        used += bytes.Length;
    }
}
