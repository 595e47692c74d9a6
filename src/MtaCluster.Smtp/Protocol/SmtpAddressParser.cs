using MtaCluster.Mail;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// Parses RFC 5321 §4.1.2 paths: dot-string and quoted local parts, domains and address literals,
/// source routes (accepted and ignored, §C), and RFC 6531 UTF-8 when the transaction allows it.
/// </summary>
public static class SmtpAddressParser
{
    // RFC 5321 §4.5.3.1.1-3.
    private const int MaxLocalPart = 64;
    private const int MaxDomain = 255;
    private const int MaxPath = 256;

    /// <summary>
    /// Parses a path starting at <paramref name="input"/>[0] ('&lt;'); returns how many bytes it took.
    /// <paramref name="mailbox"/> is null for <c>&lt;&gt;</c>, allowed only when <paramref name="isSender"/>.
    /// </summary>
    public static int ParsePath(ReadOnlySpan<byte> input, bool isSender, bool allowUtf8, out SmtpMailbox? mailbox)
    {
        mailbox = null;
        var syntax = isSender
            ? new EncodedReply(501, new(5, 1, 7), "Bad sender address syntax")
            : new EncodedReply(501, new(5, 1, 3), "Bad recipient address syntax");

        if (input.Length < 2 || input[0] != (byte)'<') throw new SmtpProtocolException(syntax);
        int pos = 1;
        if (input[1] == (byte)'>')
        {
            if (!isSender) throw new SmtpProtocolException(syntax);
            return 2;
        }

        if (input[pos] == (byte)'@')
        {
            // RFC 5321 §4.1.2 A-d-l: "@one,@two:" — obsolete, must be accepted, and is ignored (Appendix C).
            int colon = input.IndexOf((byte)':');
            if (colon < 0) throw new SmtpProtocolException(syntax);
            foreach (var hop in Encoding.ASCII.GetString(input[1..colon]).Split(','))
            {
                if (hop.Length < 2 || hop[0] != '@' || !IsDomainSyntax(Encoding.ASCII.GetBytes(hop[1..]), false))
                    throw new SmtpProtocolException(syntax);
            }
            pos = colon + 1;
        }

        int localStart = pos;
        if (pos < input.Length && input[pos] == (byte)'"')
        {
            pos++;
            while (true)
            {
                if (pos >= input.Length) throw new SmtpProtocolException(syntax);
                byte b = input[pos];
                if (b == (byte)'"') { pos++; break; }
                if (b == (byte)'\\')
                {
                    if (pos + 1 >= input.Length || input[pos + 1] is < 32 or > 126) throw new SmtpProtocolException(syntax);
                    pos += 2;
                    continue;
                }
                if (b >= 0x80) RequireUtf8(allowUtf8);
                else if (b is < 32 or > 126) throw new SmtpProtocolException(syntax);
                pos++;
            }
        }
        else
        {
            bool lastWasDot = true;
            while (pos < input.Length && input[pos] != (byte)'@')
            {
                byte b = input[pos];
                if (b == (byte)'.')
                {
                    if (lastWasDot) throw new SmtpProtocolException(syntax);
                    lastWasDot = true;
                }
                else
                {
                    if (b >= 0x80) RequireUtf8(allowUtf8);
                    else if (!IsAtext(b)) throw new SmtpProtocolException(syntax);
                    lastWasDot = false;
                }
                pos++;
            }
            if (lastWasDot) throw new SmtpProtocolException(syntax);
        }

        var localPart = input[localStart..pos];
        if (localPart.Length > MaxLocalPart)
            throw new SmtpProtocolException(553, isSender ? new(5, 1, 7) : new(5, 1, 3), "Local part too long");
        if (pos >= input.Length || input[pos] != (byte)'@') throw new SmtpProtocolException(syntax);
        pos++;

        int domainStart = pos;
        string domain, routing;
        if (pos < input.Length && input[pos] == (byte)'[')
        {
            int end = input[pos..].IndexOf((byte)']');
            if (end < 0) throw new SmtpProtocolException(syntax);
            pos += end + 1;
            domain = Encoding.ASCII.GetString(input[domainStart..pos]);
            if (!TryNormalizeAddressLiteral(domain, out routing)) throw new SmtpProtocolException(syntax);
        }
        else
        {
            while (pos < input.Length && input[pos] != (byte)'>') pos++;
            var domainBytes = input[domainStart..pos];
            if (!IsDomainSyntax(domainBytes, allowUtf8)) throw new SmtpProtocolException(syntax);
            domain = Encoding.UTF8.GetString(domainBytes);
            routing = RoutingDomain.From(domain) ?? throw new SmtpProtocolException(syntax);
        }

        if (pos >= input.Length || input[pos] != (byte)'>') throw new SmtpProtocolException(syntax);
        pos++;
        if (routing.Length > MaxDomain || pos > MaxPath + 2)
            throw new SmtpProtocolException(553, isSender ? new(5, 1, 7) : new(5, 1, 3), "Address too long");

        mailbox = new SmtpMailbox(Encoding.UTF8.GetString(localPart), domain, routing);
        return pos;
    }

    private static void RequireUtf8(bool allowUtf8)
    {
        if (!allowUtf8) throw new SmtpProtocolException(SmtpReplies.NonAsciiAddress);
    }

    // RFC 5322 §3.2.3 atext.
    private static bool IsAtext(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
        || "!#$%&'*+-/=?^_`{|}~"u8.Contains(b);

    // RFC 5321 §4.1.2 Domain: sub-domain = Let-dig [Ldh-str]; RFC 6531 adds U-labels.
    private static bool IsDomainSyntax(ReadOnlySpan<byte> domain, bool allowUtf8)
    {
        if (domain.Length == 0 || domain.Length > MaxDomain) return false;
        int labelLength = 0;
        byte previous = (byte)'.';
        foreach (byte b in domain)
        {
            if (b == (byte)'.')
            {
                if (labelLength == 0 || previous == (byte)'-') return false;
                labelLength = 0;
            }
            else if (b == (byte)'-')
            {
                if (labelLength == 0) return false;
                labelLength++;
            }
            else if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9')
            {
                labelLength++;
            }
            else if (b >= 0x80)
            {
                if (!allowUtf8) throw new SmtpProtocolException(SmtpReplies.NonAsciiAddress);
                labelLength++;
            }
            else
            {
                return false;
            }
            previous = b;
        }
        return labelLength > 0 && previous != (byte)'-';
    }

    // RFC 5321 §4.1.3: IPv4 literal, "IPv6:" literal; general literals have no registered tags to route on.
    private static bool TryNormalizeAddressLiteral(string literal, out string normalized)
    {
        normalized = literal;
        var inner = literal[1..^1];
        if (inner.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            if (!IPAddress.TryParse(inner[5..], out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return false;
            normalized = "[IPv6:" + v6 + "]";
            return true;
        }
        var parts = inner.Split('.');
        if (parts.Length != 4) return false;
        foreach (var part in parts)
        {
            if (part.Length is 0 or > 3 || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
        }
        normalized = "[" + IPAddress.Parse(inner) + "]";
        return true;
    }
}
