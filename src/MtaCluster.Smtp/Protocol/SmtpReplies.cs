using MtaCluster.Mail;

namespace MtaCluster.Smtp.Protocol;

/// <summary>The fixed replies, encoded once. Enhanced codes follow RFC 3463 and its registry.</summary>
public static class SmtpReplies
{
    public static readonly EncodedReply Ok = new(250, new(2, 0, 0), "Ok");
    /// <summary>After the final dot; the queue id is appended when it is written.</summary>
    public static readonly EncodedReply QueuedAs = new(250, new(2, 0, 0), "Ok: queued as ");
    public static readonly EncodedReply SenderOk = new(250, new(2, 1, 0), "Ok");
    public static readonly EncodedReply RecipientOk = new(250, new(2, 1, 5), "Ok");
    public static readonly EncodedReply ResetOk = new(250, new(2, 0, 0), "Ok");
    public static readonly EncodedReply Bye = new(221, new(2, 0, 0), "Bye");
    public static readonly EncodedReply CannotVerify = new(252, new(2, 5, 0), "Cannot VRFY user, but will accept message and attempt delivery");
    public static readonly EncodedReply StartData = new(354, null, "End data with <CR><LF>.<CR><LF>");
    public static readonly EncodedReply ReadyToStartTls = new(220, new(2, 0, 0), "Ready to start TLS");
    public static readonly EncodedReply AuthSucceeded = new(235, new(2, 7, 0), "Authentication successful");

    public static readonly EncodedReply ShuttingDown = new(421, new(4, 3, 2), "Service shutting down");
    public static readonly EncodedReply Timeout = new(421, new(4, 4, 2), "Timeout exceeded, closing connection");
    public static readonly EncodedReply TooManyErrors = new(421, new(4, 7, 0), "Too many errors, closing connection");
    public static readonly EncodedReply TooManyAuthFailures = new(421, new(4, 7, 0), "Too many authentication failures, closing connection");
    public static readonly EncodedReply TooManyConnections = new(421, new(4, 7, 0), "Too many connections, try again later");
    public static readonly EncodedReply SpoolFailed = new(451, new(4, 3, 0), "Error: queue write failed, try again later");
    public static readonly EncodedReply TooManyRecipients = new(452, new(4, 5, 3), "Too many recipients");
    public static readonly EncodedReply InsufficientStorage = new(452, new(4, 3, 1), "Insufficient system storage");
    public static readonly EncodedReply TlsNotAvailable = new(454, new(4, 7, 0), "TLS not available");

    public static readonly EncodedReply UnknownCommand = new(500, new(5, 5, 1), "Command unrecognized");
    public static readonly EncodedReply LineTooLong = new(500, new(5, 5, 2), "Line too long");
    public static readonly EncodedReply NulInCommand = new(500, new(5, 5, 2), "NUL character not allowed in commands");
    public static readonly EncodedReply BareLineEndingInCommand = new(500, new(5, 5, 2), "Commands must end with <CR><LF>");
    public static readonly EncodedReply EightBitInCommand = new(500, new(5, 5, 2), "8-bit characters not allowed in this command");
    public static readonly EncodedReply NotImplemented = new(502, new(5, 5, 1), "Command not implemented");
    public static readonly EncodedReply BadSequence = new(503, new(5, 5, 1), "Bad sequence of commands");
    public static readonly EncodedReply AlreadyTls = new(503, new(5, 5, 1), "TLS already active");
    public static readonly EncodedReply AlreadyAuthenticated = new(503, new(5, 5, 1), "Already authenticated");
    public static readonly EncodedReply SyntaxNoArguments = new(501, new(5, 5, 4), "Syntax error: no arguments allowed");
    public static readonly EncodedReply AuthCancelled = new(501, new(5, 7, 0), "Authentication cancelled");
    public static readonly EncodedReply BadBase64 = new(501, new(5, 5, 2), "Cannot decode base64 response");
    public static readonly EncodedReply UnknownMechanism = new(504, new(5, 5, 4), "Unrecognized authentication mechanism");
    public static readonly EncodedReply AuthRequired = new(530, new(5, 7, 0), "Authentication required");
    public static readonly EncodedReply BadCredentials = new(535, new(5, 7, 8), "Authentication credentials invalid");
    public static readonly EncodedReply EncryptionRequired = new(538, new(5, 7, 11), "Encryption required for requested authentication mechanism");
    public static readonly EncodedReply BareLineEndingInData = new(550, new(5, 6, 11), "Message contains bare <CR> or <LF>");
    public static readonly EncodedReply NulInData = new(550, new(5, 6, 0), "Message contains NUL characters, which RFC 5322 does not allow");
    public static readonly EncodedReply MessageTooBig = new(552, new(5, 3, 4), "Message size exceeds fixed maximum message size");
    public static readonly EncodedReply TextLineTooLong = new(500, new(5, 5, 2), "Line too long in message text");
    public static readonly EncodedReply NonAsciiAddress = new(553, new(5, 6, 7), "Non-ASCII addresses require SMTPUTF8");
    public static readonly EncodedReply RelayDenied = new(554, new(5, 7, 1), "Relay access denied");
    public static readonly EncodedReply EarlyTalker = new(554, new(5, 5, 0), "Protocol error: client sent data before the greeting");
    public static readonly EncodedReply ImproperPipelining = new(554, new(5, 5, 0), "Improper use of SMTP command pipelining: data sent before 354");
}
