namespace MtaCluster.Dns.Protocol;

/// <summary>
/// Text form of domain names: fully qualified with a trailing dot, "." for the root, and the
/// master-file escapes of RFC 1035 §5.1 (<c>\.</c>, <c>\\</c>, <c>\DDD</c>) for octets that are not plain text.
/// </summary>
public static class DnsName
{
    /// <summary>RFC 1035 §2.3.4: at most 255 octets on the wire, labels of at most 63 octets.</summary>
    public const int MaxWireLength = 255;

    public const int MaxLabelLength = 63;

    public const string Root = ".";

    public static string ToFullyQualified(string name)
    {
        if (name.Length == 0 || name == Root)
        {
            return Root;
        }

        return EndsWithUnescapedDot(name) ? name : name + ".";
    }

    /// <summary>Drops the trailing dot, for places (SMTP, logs) that use the relative form.</summary>
    public static string ToRelative(string name)
    {
        if (name == Root || name.Length == 0)
        {
            return string.Empty;
        }

        return EndsWithUnescapedDot(name) ? name[..^1] : name;
    }

    public static bool IsRoot(string name) => name.Length == 0 || name == Root;

    /// <summary>
    /// Converts a text name into wire labels, throwing <see cref="DnsException"/> on an empty label,
    /// a label over 63 octets or a name over 255 octets.
    /// </summary>
    internal static List<Label> Split(string name)
    {
        var labels = new List<Label>(4);
        if (IsRoot(name))
        {
            return labels;
        }

        Span<byte> current = stackalloc byte[MaxLabelLength + 1];
        int length = 0;
        int labelStart = 0;
        int wireLength = 1;
        int i = 0;
        while (i < name.Length)
        {
            char c = name[i];
            if (c == '.')
            {
                if (length == 0)
                {
                    throw new DnsException($"Empty label in domain name '{name}'.");
                }

                labels.Add(new Label(current[..length].ToArray(), labelStart));
                wireLength += length + 1;
                length = 0;
                i++;
                labelStart = i;
                continue;
            }

            byte octet;
            if (c == '\\')
            {
                if (i + 3 < name.Length && char.IsAsciiDigit(name[i + 1]) && char.IsAsciiDigit(name[i + 2]) && char.IsAsciiDigit(name[i + 3]))
                {
                    int value = (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0');
                    if (value > 255)
                    {
                        throw new DnsException($"Invalid escape in domain name '{name}'.");
                    }

                    octet = (byte)value;
                    i += 4;
                }
                else if (i + 1 < name.Length)
                {
                    if (name[i + 1] > 0x7F)
                    {
                        throw new DnsException($"Domain name '{name}' is not ASCII; pass the A-label form.");
                    }

                    octet = (byte)name[i + 1];
                    i += 2;
                }
                else
                {
                    throw new DnsException($"Dangling escape in domain name '{name}'.");
                }
            }
            else
            {
                if (c > 0x7F)
                {
                    throw new DnsException($"Domain name '{name}' is not ASCII; pass the A-label form.");
                }

                octet = (byte)c;
                i++;
            }

            if (length == MaxLabelLength)
            {
                throw new DnsException($"Label longer than {MaxLabelLength} octets in domain name '{name}'.");
            }

            current[length++] = octet;
        }

        if (length > 0)
        {
            labels.Add(new Label(current[..length].ToArray(), labelStart));
            wireLength += length + 1;
        }

        if (wireLength > MaxWireLength)
        {
            throw new DnsException($"Domain name '{name}' is longer than {MaxWireLength} octets.");
        }

        return labels;
    }

    /// <summary>
    /// Checks a host name against the preferred syntax of RFC 1035 §2.3.1 as relaxed by RFC 1123 §2.1
    /// (letters, digits, hyphens; labels not starting or ending with a hyphen). Underscores are refused
    /// because they never name a mail host.
    /// </summary>
    public static bool IsValidHostName(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        ReadOnlySpan<char> span = name.AsSpan();
        if (span[^1] == '.')
        {
            span = span[..^1];
        }

        if (span.Length == 0 || span.Length > 253)
        {
            return false;
        }

        int labelLength = 0;
        for (int i = 0; i < span.Length; i++)
        {
            char c = span[i];
            if (c == '.')
            {
                if (labelLength == 0 || span[i - 1] == '-')
                {
                    return false;
                }

                labelLength = 0;
                continue;
            }

            bool ok = char.IsAsciiLetterOrDigit(c) || (c == '-' && labelLength > 0);
            if (!ok || ++labelLength > MaxLabelLength)
            {
                return false;
            }
        }

        return labelLength > 0 && span[^1] != '-';
    }

    internal static void AppendLabel(ref ValueStringBuilderLite builder, ReadOnlySpan<byte> label)
    {
        foreach (byte b in label)
        {
            if (b == (byte)'.' || b == (byte)'\\')
            {
                builder.Append('\\');
                builder.Append((char)b);
            }
            else if (b < 0x21 || b > 0x7E)
            {
                builder.Append('\\');
                builder.Append((char)('0' + b / 100));
                builder.Append((char)('0' + b / 10 % 10));
                builder.Append((char)('0' + b % 10));
            }
            else
            {
                builder.Append((char)b);
            }
        }

        builder.Append('.');
    }

    private static bool EndsWithUnescapedDot(string name)
    {
        if (name[^1] != '.')
        {
            return false;
        }

        int backslashes = 0;
        for (int i = name.Length - 2; i >= 0 && name[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 0;
    }

    internal readonly record struct Label(byte[] Octets, int TextOffset);
}
