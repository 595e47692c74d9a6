namespace MtaCluster.Smtp.Protocol;

/// <summary>The fixed replies, encoded once. Enhanced codes follow RFC 3463 and its registry.</summary>
public static class SmtpReplies
{
    public static readonly SmtpReply Ok = new(250, "2.0.0", "Ok");
    public static readonly SmtpReply SenderOk = new(250, "2.1.0", "Ok");
    public static readonly SmtpReply RecipientOk = new(250, "2.1.5", "Ok");
    public static readonly SmtpReply ResetOk = new(250, "2.0.0", "Ok");
    public static readonly SmtpReply Bye = new(221, "2.0.0", "Bye");
    public static readonly SmtpReply CannotVerify = new(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
    public static readonly SmtpReply StartData = new(354, null, "End data with <CR><LF>.<CR><LF>");
    public static readonly SmtpReply ReadyToStartTls = new(220, "2.0.0", "Ready to start TLS");
    public static readonly SmtpReply AuthSucceeded = new(235, "2.7.0", "Authentication successful");

    public static readonly SmtpReply ShuttingDown = new(421, "4.3.2", "Service shutting down");
    public static readonly SmtpReply Timeout = new(421, "4.4.2", "Timeout exceeded, closing connection");
    public static readonly SmtpReply TooManyErrors = new(421, "4.7.0", "Too many errors, closing connection");
    public static readonly SmtpReply TooManyAuthFailures = new(421, "4.7.0", "Too many authentication failures, closing connection");
    public static readonly SmtpReply TooManyConnections = new(421, "4.7.0", "Too many connections, try again later");
    public static readonly SmtpReply SpoolFailed = new(451, "4.3.0", "Error: queue write failed, try again later");
    public static readonly SmtpReply TooManyRecipients = new(452, "4.5.3", "Too many recipients");
    public static readonly SmtpReply InsufficientStorage = new(452, "4.3.1", "Insufficient system storage");
    public static readonly SmtpReply TlsNotAvailable = new(454, "4.7.0", "TLS not available");

    public static readonly SmtpReply UnknownCommand = new(500, "5.5.1", "Command unrecognized");
    public static readonly SmtpReply LineTooLong = new(500, "5.5.2", "Line too long");
    public static readonly SmtpReply NulInCommand = new(500, "5.5.2", "NUL character not allowed in commands");
    public static readonly SmtpReply BareLineEndingInCommand = new(500, "5.5.2", "Commands must end with <CR><LF>");
    public static readonly SmtpReply EightBitInCommand = new(500, "5.5.2", "8-bit characters not allowed in this command");
    public static readonly SmtpReply NotImplemented = new(502, "5.5.1", "Command not implemented");
    public static readonly SmtpReply BadSequence = new(503, "5.5.1", "Bad sequence of commands");
    public static readonly SmtpReply AlreadyTls = new(503, "5.5.1", "TLS already active");
    public static readonly SmtpReply AlreadyAuthenticated = new(503, "5.5.1", "Already authenticated");
    public static readonly SmtpReply SyntaxNoArguments = new(501, "5.5.4", "Syntax error: no arguments allowed");
    public static readonly SmtpReply AuthCancelled = new(501, "5.7.0", "Authentication cancelled");
    public static readonly SmtpReply BadBase64 = new(501, "5.5.2", "Cannot decode base64 response");
    public static readonly SmtpReply UnknownMechanism = new(504, "5.5.4", "Unrecognized authentication mechanism");
    public static readonly SmtpReply AuthRequired = new(530, "5.7.0", "Authentication required");
    public static readonly SmtpReply BadCredentials = new(535, "5.7.8", "Authentication credentials invalid");
    public static readonly SmtpReply EncryptionRequired = new(538, "5.7.11", "Encryption required for requested authentication mechanism");
    public static readonly SmtpReply BareLineEndingInData = new(550, "5.6.11", "Message contains bare <CR> or <LF>");
    public static readonly SmtpReply NulInData = new(550, "5.6.0", "Message contains NUL characters, which RFC 5322 does not allow");
    public static readonly SmtpReply MessageTooBig = new(552, "5.3.4", "Message size exceeds fixed maximum message size");
    public static readonly SmtpReply TextLineTooLong = new(500, "5.5.2", "Line too long in message text");
    public static readonly SmtpReply NonAsciiAddress = new(553, "5.6.7", "Non-ASCII addresses require SMTPUTF8");
    public static readonly SmtpReply RelayDenied = new(554, "5.7.1", "Relay access denied");
    public static readonly SmtpReply EarlyTalker = new(554, "5.5.0", "Protocol error: client sent data before the greeting");
    public static readonly SmtpReply ImproperPipelining = new(554, "5.5.0", "Improper use of SMTP command pipelining: data sent before 354");
}
