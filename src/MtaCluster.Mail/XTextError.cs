namespace MtaCluster.Mail;

/// <summary>Why a string is not xtext (RFC 3461 §4) or utf-8-addr-xtext (RFC 6533 §3).</summary>
public enum XTextError
{
    /// <summary>An octet outside "!" to "~", or a bare "=" (RFC 3461 §4: xchar excludes "+" and "=").</summary>
    InvalidCharacter,

    /// <summary>"+" not followed by two more characters.</summary>
    TruncatedHexChar,

    /// <summary>"+" not followed by two upper-case hexadecimal digits (RFC 3461 §4).</summary>
    InvalidHexDigit,

    /// <summary>The decoded octets are not UTF-8 (RFC 6533 §3 takes xtext octets as UTF-8).</summary>
    InvalidUtf8,

    /// <summary>A "\" not starting a well-formed "\x{HEX}" of a Unicode scalar value (RFC 6533 §3).</summary>
    InvalidEscape,
}
