using System.Buffers;
using System.Globalization;
using System.Text;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// Reads command lines from a <see cref="SequenceReader{T}"/> and parses them without turning the line into a
/// string: verbs are compared as bytes, and only the parts that become data (addresses, names) are decoded.
/// </summary>
public static class SmtpCommandParser
{
    /// <summary>RFC 4954 §4: an AUTH command or response line may be up to 12288 octets.</summary>
    public const int MaxAuthLineLength = 12288;

    private static readonly EncodedReply ParameterSyntax = new(501, new(5, 5, 4), "Syntax error in parameters or arguments");
    private static readonly EncodedReply BinaryMimeNotSupported = new(555, new(5, 5, 4), "BODY=BINARYMIME is not supported");
    private static readonly List<(string Key, string? Value)> NoParameters = new();
    private static readonly EncodedReply UnknownParameter = new(555, new(5, 5, 4), "Unsupported MAIL or RCPT parameter");

    // RFC 3461 §4.2 / RFC 6533 §3: the relay passes ORCPT and ENVID on as it got them, so one it cannot
    // decode exactly is refused rather than guessed at and changed.
    private static readonly EncodedReply EnvelopeIdNotXText = new(501, new(5, 5, 4), "ENVID is not valid xtext (RFC 3461 §4)");
    private static readonly EncodedReply EnvelopeIdNotUtf8 = new(501, new(5, 5, 4), "ENVID does not decode to UTF-8 (RFC 6533 §3)");
    private static readonly EncodedReply OriginalRecipientNotXText = new(501, new(5, 5, 4), "ORCPT address is not valid xtext (RFC 3461 §4.2)");
    private static readonly EncodedReply OriginalRecipientNotUtf8 = new(501, new(5, 5, 4), "ORCPT address does not decode to UTF-8 (RFC 6533 §3)");
    private static readonly EncodedReply OriginalRecipientBadEscape = new(501, new(5, 5, 4), "ORCPT utf-8 address is not valid utf-8-addr-xtext (RFC 6533 §3)");

    /// <summary>
    /// Finds the next LF-terminated line. Returns false for "need more data", with <paramref name="tooLong"/>
    /// set when the buffered unterminated input already exceeds <paramref name="maxLength"/>.
    /// On success <paramref name="line"/> excludes the LF; the reader is past it.
    /// </summary>
    public static bool TryReadLine(ref SequenceReader<byte> reader, int maxLength, out ReadOnlySequence<byte> line, out bool tooLong)
    {
        if (reader.TryReadTo(out line, (byte)'\n', advancePastDelimiter: true))
        {
            tooLong = line.Length + 1 > maxLength;
            return true;
        }
        tooLong = reader.Remaining > maxLength;
        return false;
    }

    /// <summary>The verb of a command line (CRLF already removed) and the arguments after its space.</summary>
    public static SmtpCommandKind ParseVerb(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> arguments)
    {
        int space = line.IndexOf((byte)' ');
        var verb = space < 0 ? line : line[..space];
        arguments = space < 0 ? default : line[(space + 1)..];
        return verb.Length switch
        {
            4 when Ascii.EqualsIgnoreCase(verb, "EHLO"u8) => SmtpCommandKind.Ehlo,
            4 when Ascii.EqualsIgnoreCase(verb, "HELO"u8) => SmtpCommandKind.Helo,
            4 when Ascii.EqualsIgnoreCase(verb, "MAIL"u8) => SmtpCommandKind.Mail,
            4 when Ascii.EqualsIgnoreCase(verb, "RCPT"u8) => SmtpCommandKind.Rcpt,
            4 when Ascii.EqualsIgnoreCase(verb, "DATA"u8) => SmtpCommandKind.Data,
            4 when Ascii.EqualsIgnoreCase(verb, "BDAT"u8) => SmtpCommandKind.Bdat,
            4 when Ascii.EqualsIgnoreCase(verb, "RSET"u8) => SmtpCommandKind.Rset,
            4 when Ascii.EqualsIgnoreCase(verb, "NOOP"u8) => SmtpCommandKind.Noop,
            4 when Ascii.EqualsIgnoreCase(verb, "QUIT"u8) => SmtpCommandKind.Quit,
            4 when Ascii.EqualsIgnoreCase(verb, "VRFY"u8) => SmtpCommandKind.Vrfy,
            4 when Ascii.EqualsIgnoreCase(verb, "EXPN"u8) => SmtpCommandKind.Expn,
            4 when Ascii.EqualsIgnoreCase(verb, "HELP"u8) => SmtpCommandKind.Help,
            4 when Ascii.EqualsIgnoreCase(verb, "AUTH"u8) => SmtpCommandKind.Auth,
            8 when Ascii.EqualsIgnoreCase(verb, "STARTTLS"u8) => SmtpCommandKind.StartTls,
            _ => SmtpCommandKind.Unknown,
        };
    }

    /// <summary>HELO/EHLO argument: RFC 5321 §4.1.1.1 wants a domain or address literal; any single token is taken.</summary>
    public static string ParseHelo(ReadOnlySpan<byte> arguments)
    {
        var name = arguments.Trim((byte)' ');
        if (name.IsEmpty || name.IndexOf((byte)' ') >= 0 || name.Length > 255)
            throw new SmtpProtocolException(501, new(5, 5, 4), "Syntax: EHLO hostname");
        return Encoding.ASCII.GetString(name);
    }

    public static MailFromCommand ParseMailFrom(ReadOnlySpan<byte> arguments, long maxMessageSize)
    {
        var path = StripPrefix(arguments, "FROM:"u8, "Syntax: MAIL FROM:<address>");
        var parameters = SplitAfterPath(path, out var pathPart);
        bool smtpUtf8 = false;
        long? size = null;
        var body = MessageBodyType.SevenBit;
        var ret = DsnReturn.NotGiven;
        string? envelopeId = null;
        HashSet<string>? seen = null;

        foreach (var (key, value) in EnumerateParameters(parameters))
        {
            if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(key)) throw new SmtpProtocolException(ParameterSyntax);
            switch (key)
            {
                case "SIZE":
                    if (value is null || value.Length > 18 || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var declared))
                        throw new SmtpProtocolException(ParameterSyntax);
                    // RFC 1870 §6.2: a declared size over the fixed limit is refused at MAIL.
                    if (declared > maxMessageSize) throw new SmtpProtocolException(SmtpReplies.MessageTooBig);
                    size = declared;
                    break;
                case "BODY":
                    body = value?.ToUpperInvariant() switch
                    {
                        "7BIT" => MessageBodyType.SevenBit,
                        "8BITMIME" => MessageBodyType.EightBitMime,
                        // Not advertised: the outbound side relays with DATA, which cannot carry binary content.
                        "BINARYMIME" => throw new SmtpProtocolException(BinaryMimeNotSupported),
                        _ => throw new SmtpProtocolException(ParameterSyntax),
                    };
                    break;
                case "SMTPUTF8":
                    if (value is not null) throw new SmtpProtocolException(ParameterSyntax);
                    smtpUtf8 = true;
                    break;
                case "RET":
                    ret = value?.ToUpperInvariant() switch
                    {
                        "FULL" => DsnReturn.Full,
                        "HDRS" => DsnReturn.Headers,
                        _ => throw new SmtpProtocolException(ParameterSyntax),
                    };
                    break;
                case "ENVID":
                    // RFC 3461 §4.4: xtext, at most 100 characters.
                    if (value is null || value.Length > 100) throw new SmtpProtocolException(ParameterSyntax);
                    envelopeId = DecodeXText(value, EnvelopeIdNotXText, EnvelopeIdNotUtf8);
                    break;
                case "AUTH":
                    // RFC 4954 §5: the MAIL AUTH parameter may be ignored by a server that does not trust it.
                    break;
                default:
                    throw new SmtpProtocolException(UnknownParameter);
            }
        }

        SmtpAddressParser.ParsePath(pathPart, isSender: true, allowUtf8: smtpUtf8, out var sender);
        return new MailFromCommand(sender, size, body, smtpUtf8, ret, envelopeId);
    }

    public static RcptToCommand ParseRcptTo(ReadOnlySpan<byte> arguments, bool allowUtf8)
    {
        var path = StripPrefix(arguments, "TO:"u8, "Syntax: RCPT TO:<address>");
        var parameters = SplitAfterPath(path, out var pathPart);
        SmtpAddressParser.ParsePath(pathPart, isSender: false, allowUtf8, out var recipient);
        var notify = DsnNotify.NotGiven;
        string? orcpt = null;
        HashSet<string>? seen = null;
        foreach (var (key, value) in EnumerateParameters(parameters))
        {
            if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(key)) throw new SmtpProtocolException(ParameterSyntax);
            switch (key)
            {
                case "NOTIFY":
                    notify = ParseNotify(value);
                    break;
                case "ORCPT":
                    orcpt = ParseOriginalRecipient(value, allowUtf8);
                    break;
                default:
                    throw new SmtpProtocolException(UnknownParameter);
            }
        }
        return new RcptToCommand(recipient!, notify, orcpt);
    }

    /// <summary>RFC 3030 §2: <c>BDAT size [LAST]</c>.</summary>
    public static (long Size, bool Last) ParseBdat(ReadOnlySpan<byte> arguments)
    {
        var args = arguments.Trim((byte)' ');
        int space = args.IndexOf((byte)' ');
        var sizeText = space < 0 ? args : args[..space];
        var rest = space < 0 ? default : args[(space + 1)..].Trim((byte)' ');
        if (sizeText.IsEmpty || sizeText.Length > 18) throw new SmtpProtocolException(ParameterSyntax);
        long size = 0;
        foreach (byte b in sizeText)
        {
            if (b is < (byte)'0' or > (byte)'9') throw new SmtpProtocolException(ParameterSyntax);
            size = size * 10 + (b - '0');
        }
        bool last = false;
        if (!rest.IsEmpty)
        {
            if (!Ascii.EqualsIgnoreCase(rest, "LAST"u8)) throw new SmtpProtocolException(ParameterSyntax);
            last = true;
        }
        return (size, last);
    }

    /// <summary>RFC 4954 §4: <c>AUTH mechanism [initial-response]</c>.</summary>
    public static (string Mechanism, string? InitialResponse) ParseAuth(ReadOnlySpan<byte> arguments)
    {
        var args = arguments.Trim((byte)' ');
        if (args.IsEmpty) throw new SmtpProtocolException(501, new(5, 5, 4), "Syntax: AUTH mechanism [initial-response]");
        int space = args.IndexOf((byte)' ');
        var mechanism = Encoding.ASCII.GetString(space < 0 ? args : args[..space]).ToUpperInvariant();
        string? initial = space < 0 ? null : Encoding.ASCII.GetString(args[(space + 1)..].Trim((byte)' '));
        return (mechanism, initial);
    }

    private static DsnNotify ParseNotify(string? value)
    {
        if (string.IsNullOrEmpty(value)) throw new SmtpProtocolException(ParameterSyntax);
        var notify = DsnNotify.NotGiven;
        foreach (var item in value.Split(','))
        {
            notify |= item.ToUpperInvariant() switch
            {
                "NEVER" => DsnNotify.Never,
                "SUCCESS" => DsnNotify.Success,
                "FAILURE" => DsnNotify.Failure,
                "DELAY" => DsnNotify.Delay,
                _ => throw new SmtpProtocolException(ParameterSyntax),
            };
        }
        // RFC 3461 §4.1: NEVER must appear alone.
        if (notify.HasFlag(DsnNotify.Never) && notify != DsnNotify.Never) throw new SmtpProtocolException(ParameterSyntax);
        return notify;
    }

    // RFC 3461 §4.2: ORCPT=addr-type ";" xtext; for addr-type utf-8, RFC 6533 §3's utf-8-addr-xtext
    // (or, under SMTPUTF8, utf-8-addr-unitext). Kept decoded as "type;address": the client encodes it again.
    private static string ParseOriginalRecipient(string? value, bool allowUtf8)
    {
        int semicolon = value?.IndexOf(';') ?? -1;
        if (value is null || semicolon <= 0 || value.Length > 500) throw new SmtpProtocolException(ParameterSyntax);
        var type = value.AsSpan(0, semicolon);
        foreach (char c in type)
            if (!char.IsAsciiLetterOrDigit(c) && c != '-') throw new SmtpProtocolException(ParameterSyntax);
        var encoded = value[(semicolon + 1)..];
        string address = type.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            ? DecodeUtf8Address(encoded, allowUtf8)
            : DecodeXText(encoded, OriginalRecipientNotXText, OriginalRecipientNotUtf8);
        if (address.Length == 0) throw new SmtpProtocolException(ParameterSyntax);
        return string.Concat(type.ToString().ToLowerInvariant(), ";", address);
    }

    private static string DecodeXText(string value, EncodedReply malformed, EncodedReply notUtf8)
    {
        // The callers bound the value (ENVID 100, ORCPT 500 characters), so its octets fit on the stack.
        Span<byte> octets = stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length)];
        int length = Encoding.UTF8.GetBytes(value, octets);
        if (XText.TryDecode(octets[..length], out var decoded, out var error, out _)) return decoded;
        throw new SmtpProtocolException(error == XTextError.InvalidUtf8 ? notUtf8 : malformed);
    }

    private static string DecodeUtf8Address(string value, bool allowUtf8)
    {
        if (!Ascii.IsValid(value))
        {
            // utf-8-addr-unitext (RFC 6533 §3) writes non-ASCII characters as they are, which only an
            // SMTPUTF8 transaction may carry; spelled as \x{HEX} they are utf-8-addr-xtext.
            if (!allowUtf8) throw new SmtpProtocolException(OriginalRecipientBadEscape);
            var escaped = new StringBuilder(value.Length + 16);
            foreach (var rune in value.EnumerateRunes())
            {
                if (rune.IsAscii) escaped.Append((char)rune.Value);
                else escaped.Append("\\x{").Append(rune.Value.ToString("X", CultureInfo.InvariantCulture)).Append('}');
            }
            value = escaped.ToString();
        }
        try
        {
            return XText.DecodeUtf8Address(value);
        }
        catch (XTextFormatException)
        {
            throw new SmtpProtocolException(OriginalRecipientBadEscape);
        }
    }

    private static ReadOnlySpan<byte> StripPrefix(ReadOnlySpan<byte> arguments, ReadOnlySpan<byte> prefix, string usage)
    {
        if (arguments.Length < prefix.Length || !Ascii.EqualsIgnoreCase(arguments[..prefix.Length], prefix))
            throw new SmtpProtocolException(501, new(5, 5, 4), usage);
        // Some clients put a space after the colon; RFC 5321 §4.1.2 does not, but nothing is ambiguous.
        return arguments[prefix.Length..].TrimStart((byte)' ');
    }

    // The path ends at the '>' that closes it; a quoted local part may itself contain '>' or spaces.
    private static ReadOnlySpan<byte> SplitAfterPath(ReadOnlySpan<byte> text, out ReadOnlySpan<byte> path)
    {
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            byte b = text[i];
            if (quoted && b == (byte)'\\') { i++; continue; }
            if (b == (byte)'"') quoted = !quoted;
            else if (!quoted && b == (byte)'>')
            {
                path = text[..(i + 1)];
                var rest = text[(i + 1)..];
                if (!rest.IsEmpty && rest[0] != (byte)' ') throw new SmtpProtocolException(ParameterSyntax);
                return rest;
            }
        }
        path = text;
        return default;
    }

    private static List<(string Key, string? Value)> EnumerateParameters(ReadOnlySpan<byte> text)
    {
        if (text.Trim((byte)' ').IsEmpty) return NoParameters;
        var result = new List<(string, string?)>();
        foreach (var range in text.Split((byte)' '))
        {
            var item = text[range];
            if (item.IsEmpty) continue;
            int eq = item.IndexOf((byte)'=');
            var key = eq < 0 ? item : item[..eq];
            if (key.IsEmpty) throw new SmtpProtocolException(ParameterSyntax);
            foreach (byte b in key)
                if (!char.IsAsciiLetterOrDigit((char)b) && b != (byte)'-') throw new SmtpProtocolException(ParameterSyntax);
            string? value = eq < 0 ? null : Encoding.UTF8.GetString(item[(eq + 1)..]);
            result.Add((Encoding.ASCII.GetString(key).ToUpperInvariant(), value));
        }
        return result;
    }
}
