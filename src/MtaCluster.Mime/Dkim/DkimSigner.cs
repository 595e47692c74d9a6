using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MtaCluster.Mail;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// Signs a message once, when it is accepted (RFC 6376 §5): the signing domain is the From field's
/// domain or the nearest parent domain that has keys (so d= aligns with From, RFC 7489 §3.1.1), else
/// the default domain when one is set. Each key of that domain adds one DKIM-Signature field to the
/// message's prefix; the body stays in its buffers and is hashed where it lies. A key whose signature
/// (same d= and s=) the message already carries signs no second time.
/// </summary>
public sealed class DkimSigner
{
    /// <summary>A header block past this size is not signed rather than copied whole.</summary>
    public const int MaxHeaderBlockLength = 256 * 1024;

    private const int MaxFields = 1024;

    private readonly Dictionary<string, DkimSigningDomain> _domains;
    private readonly Dictionary<string, DkimSigningDomain>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly DkimSigningDomain? _default;
    private readonly long _expireAfterSeconds;

    public DkimSigner(IEnumerable<DkimSigningDomain> domains, string? defaultDomain = null, TimeSpan expireAfter = default)
    {
        _domains = new Dictionary<string, DkimSigningDomain>(StringComparer.OrdinalIgnoreCase);
        foreach (var domain in domains)
        {
            if (!_domains.TryAdd(domain.Domain, domain)) throw new ArgumentException($"The signing domain {domain.Domain} is configured twice.", nameof(domains));
        }
        _lookup = _domains.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!string.IsNullOrWhiteSpace(defaultDomain))
        {
            var name = defaultDomain.Trim().TrimEnd('.');
            _default = _domains.TryGetValue(name, out var found) ? found
                : throw new ArgumentException($"The default signing domain {name} has no keys under Domains.", nameof(defaultDomain));
        }
        _expireAfterSeconds = expireAfter > TimeSpan.Zero ? (long)Math.Ceiling(expireAfter.TotalSeconds) : 0;
    }

    public IReadOnlyCollection<DkimSigningDomain> Domains => _domains.Values;

    /// <summary>The message with its signatures in front; the same content when no key signs it.</summary>
    public MessageContent Sign(in MessageContent content, DateTimeOffset now) => Sign(content, now, out _);

    public MessageContent Sign(in MessageContent content, DateTimeOffset now, out int signatures)
    {
        signatures = 0;
        var body = content.Body;
        if (!TryFindHeaderEnd(body, out var bodyHeaderLength, out var bodyStart)) return content;

        var blockLength = content.Prefix.Length + (int)bodyHeaderLength;
        var block = ArrayPool<byte>.Shared.Rent(blockLength);
        var fields = ArrayPool<DkimHeaderField>.Shared.Rent(MaxFields);
        try
        {
            content.Prefix.Span.CopyTo(block);
            body.Slice(0, bodyHeaderLength).CopyTo(block.AsSpan(content.Prefix.Length));
            var headers = block.AsSpan(0, blockLength);
            var count = DkimHeaderBlock.Parse(headers, fields, out var tooMany);
            if (tooMany) return content;
            var fieldList = fields.AsSpan(0, count);

            var domain = DomainFor(headers, fieldList);
            if (domain is null) return content;

            Span<bool> signs = stackalloc bool[domain.Keys.Count];
            var anyKey = false;
            for (var k = 0; k < signs.Length; k++)
            {
                signs[k] = !AlreadySigned(headers, fieldList, domain.DomainBytes, domain.SelectorBytes[k]);
                anyKey |= signs[k];
            }
            if (!anyKey) return content;

            Span<byte> bodyHash = stackalloc byte[DkimBodyHasher.HashLength];
            DkimBodyHasher.Hash(body.Slice(bodyStart), domain.Canonicalization.Body, bodyHash);

            var added = new DkimSignatureWriter(1024 * signs.Length);
            try
            {
                for (var k = 0; k < signs.Length; k++)
                {
                    if (!signs[k]) continue;
                    SignOne(ref added, domain, k, headers, fieldList, bodyHash, now.ToUnixTimeSeconds());
                    signatures++;
                }
                var prefix = new byte[added.Length + content.Prefix.Length];
                added.Written.CopyTo(prefix);
                content.Prefix.Span.CopyTo(prefix.AsSpan(added.Length));
                return new MessageContent(prefix, body);
            }
            finally
            {
                added.Return();
            }
        }
        finally
        {
            ArrayPool<DkimHeaderField>.Shared.Return(fields);
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    private void SignOne(ref DkimSignatureWriter output, DkimSigningDomain domain, int keyIndex, ReadOnlySpan<byte> headers,
        ReadOnlySpan<DkimHeaderField> fields, ReadOnlySpan<byte> bodyHash, long timestamp)
    {
        var key = domain.Keys[keyIndex].Key;
        var start = output.Length;
        output.Append(domain.Starts[keyIndex]);
        output.Append("t="u8);
        output.AppendNumber(timestamp);
        output.Append(";"u8);
        if (_expireAfterSeconds > 0)
        {
            output.Append(" x="u8);
            output.AppendNumber(timestamp + _expireAfterSeconds);
            output.Append(";"u8);
        }
        output.Append(" h="u8);
        var first = true;
        for (var n = 0; n < domain.HeaderNames.Length; n++)
        {
            var name = domain.HeaderNames[n];
            var times = CountOf(headers, fields, name);
            // Over-signing From (RFC 6376 §8.15): a From added in transit would break the signature.
            if (n == 0) times++;
            for (var t = 0; t < times; t++)
            {
                if (!first) output.Append(":"u8);
                output.AppendFolding(name);
                first = false;
            }
        }
        output.Append(";\r\n\tbh="u8);
        output.AppendBase64(bodyHash);
        output.Append(";\r\n\tb="u8);

        Span<byte> headerHash = stackalloc byte[32];
        HashHeaders(domain.Canonicalization.Header, domain.HeaderNames, headers, fields, output.Written[start..], headerHash);
        Span<byte> signature = stackalloc byte[key.SignatureLength];
        var written = key.Sign(headerHash, signature);
        output.AppendBase64(signature[..written]);
        output.Append("\r\n"u8);
    }

    // RFC 6376 §5.4.2: each name in h= takes the next instance of that field from the bottom; a name
    // listed more often than the field occurs adds nothing. The signature field itself comes last,
    // with an empty b= and no CRLF (§3.7).
    // Listing a name as often as it occurs, one after the other, makes taking all its instances
    // bottom-up at once the same as taking them name by name.
    internal static void HashHeaders(DkimCanonicalizationAlgorithm algorithm, IReadOnlyList<byte[]> names, ReadOnlySpan<byte> headers,
        ReadOnlySpan<DkimHeaderField> fields, ReadOnlySpan<byte> signatureField, Span<byte> hash)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Max(headers.Length, signatureField.Length) + 2);
        try
        {
            foreach (var name in names)
            {
                for (var i = fields.Length - 1; i >= 0; i--)
                {
                    if (!DkimHeaderBlock.NameIs(headers, fields[i], name)) continue;
                    var length = DkimHeaderCanonicalizer.Write(headers, fields[i], algorithm, scratch, withCrLf: true);
                    sha.AppendData(scratch, 0, length);
                }
            }
            Span<DkimHeaderField> own = stackalloc DkimHeaderField[1];
            DkimHeaderBlock.Parse(signatureField, own, out _);
            var ownLength = DkimHeaderCanonicalizer.Write(signatureField, own[0], algorithm, scratch, withCrLf: false);
            sha.AppendData(scratch, 0, ownLength);
            sha.GetHashAndReset(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static int CountOf(ReadOnlySpan<byte> headers, ReadOnlySpan<DkimHeaderField> fields, ReadOnlySpan<byte> name)
    {
        var count = 0;
        foreach (var field in fields)
        {
            if (DkimHeaderBlock.NameIs(headers, field, name)) count++;
        }
        return count;
    }

    private static bool AlreadySigned(ReadOnlySpan<byte> headers, ReadOnlySpan<DkimHeaderField> fields, ReadOnlySpan<byte> domain, ReadOnlySpan<byte> selector)
    {
        foreach (var field in fields)
        {
            if (!DkimHeaderBlock.NameIs(headers, field, "DKIM-Signature"u8)) continue;
            var tags = field.Value(headers);
            if (Ascii.EqualsIgnoreCase(DkimTagReader.Find(tags, "d"u8), domain) && Ascii.EqualsIgnoreCase(DkimTagReader.Find(tags, "s"u8), selector)) return true;
        }
        return false;
    }

    private DkimSigningDomain? DomainFor(ReadOnlySpan<byte> headers, ReadOnlySpan<DkimHeaderField> fields)
    {
        foreach (var field in fields)
        {
            if (!DkimHeaderBlock.NameIs(headers, field, "From"u8)) continue;
            var value = field.Value(headers);
            if (!FromDomainReader.TryRead(value, out var range)) break;
            var name = value[range];
            if (name.Length > 255) break;
            Span<char> chars = stackalloc char[name.Length];
            if (Encoding.UTF8.GetChars(name, chars) is var length && length < name.Length) chars = chars[..length];
            var candidate = (ReadOnlySpan<char>)chars.TrimEnd('.');
            while (true)
            {
                if (_lookup.TryGetValue(candidate, out var found)) return found;
                var dot = candidate.IndexOf('.');
                // Up to the organisational domain, never to a top-level domain alone.
                if (dot < 0 || candidate[(dot + 1)..].IndexOf('.') < 0) break;
                candidate = candidate[(dot + 1)..];
            }
            break;
        }
        return _default;
    }

    /// <summary>Where the header block ends in the client's part: its length without the empty line, and where the body starts.</summary>
    private static bool TryFindHeaderEnd(in ReadOnlySequence<byte> body, out long headerLength, out long bodyStart)
    {
        var reader = new SequenceReader<byte>(body);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8, advancePastDelimiter: true))
        {
            if (reader.Consumed > MaxHeaderBlockLength) break;
            if (line.IsEmpty)
            {
                headerLength = reader.Consumed - 2;
                bodyStart = reader.Consumed;
                return true;
            }
        }
        // Headers only, no body (RFC 5322 §3.5 makes the body optional).
        headerLength = bodyStart = body.Length;
        return body.Length <= MaxHeaderBlockLength;
    }
}
