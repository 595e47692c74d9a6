using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Protocol;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>Greeting, EHLO (HELO when refused) and STARTTLS, with EHLO again inside TLS (RFC 3207 §4.2).</summary>
public sealed partial class SmtpClientConnection
{
    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = Enter(cancellationToken);
        try
        {
            Greeting = await ReadReplyAsync(_options.GreetingTimeout, SmtpReplyReader.NoCache, "waiting for the greeting").ConfigureAwait(false);
            if (Greeting.Code != 220)
            {
                // RFC 5321 §3.1: after a 554 greeting the client should still say QUIT.
                if (Greeting.Code != 421)
                {
                    await SayQuitAsync().ConfigureAwait(false);
                }

                throw Fail(SmtpFailureKind.GreetingRejected, Greeting, $"Greeting refused: {Greeting.ToLine()}");
            }

            await HelloAsync(allowHeloFallback: true).ConfigureAwait(false);
            if (_options.TlsPolicy != TlsPolicy.None)
            {
                await StartTlsAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_callerCancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            Exit(registration);
        }
    }

    private async Task HelloAsync(bool allowHeloFallback)
    {
        SmtpCommandWriter.WriteEhlo(_writer, HeloName, extended: true);
        await FlushAsync(_options.EhloTimeout, "sending EHLO").ConfigureAwait(false);
        SmtpReply reply = await ReadReplyAsync(_options.EhloTimeout, SmtpReplyReader.NoCache, "after EHLO").ConfigureAwait(false);
        if (reply.Code == 250)
        {
            HelloReply = reply;
            IsExtended = true;
            Capabilities = SmtpCapabilities.Parse(reply);
            _replies.EnhancedStatusCodes = Capabilities.Supports(SmtpExtensions.EnhancedStatusCodes);
            return;
        }

        // RFC 5321 §3.2 and §4.1.4: a server that does not know EHLO says 500 or 502 (501/504 from
        // some old ones); then HELO, without extensions.
        if (!allowHeloFallback || reply.Code is not (500 or 501 or 502 or 504))
        {
            await QuitUnlessClosingAsync(reply).ConfigureAwait(false);
            throw Fail(reply.Code == 421 ? SmtpFailureKind.ServiceClosing : SmtpFailureKind.HeloRejected, reply, $"EHLO refused: {reply.ToLine()}");
        }

        SmtpCommandWriter.WriteEhlo(_writer, HeloName, extended: false);
        await FlushAsync(_options.EhloTimeout, "sending HELO").ConfigureAwait(false);
        reply = await ReadReplyAsync(_options.EhloTimeout, SmtpReplyReader.NoCache, "after HELO").ConfigureAwait(false);
        if (reply.Code != 250)
        {
            await QuitUnlessClosingAsync(reply).ConfigureAwait(false);
            throw Fail(reply.Code == 421 ? SmtpFailureKind.ServiceClosing : SmtpFailureKind.HeloRejected, reply, $"EHLO and HELO refused: {reply.ToLine()}");
        }

        HelloReply = reply;
        IsExtended = false;
        Capabilities = SmtpCapabilities.None;
        _replies.EnhancedStatusCodes = false;
    }

    private async Task StartTlsAsync()
    {
        bool required = _options.TlsPolicy == TlsPolicy.Required;
        if (!Capabilities.Supports(SmtpExtensions.StartTls))
        {
            if (required)
            {
                await SayQuitAsync().ConfigureAwait(false);
                throw Fail(SmtpFailureKind.TlsNotAvailable, LocalReplies.TlsNotAvailable(RemoteEndPoint, "STARTTLS was not offered"), "STARTTLS not offered.");
            }

            return;
        }

        SmtpCommandWriter.WriteStartTls(_writer);
        await FlushAsync(_options.EhloTimeout, "sending STARTTLS").ConfigureAwait(false);
        SmtpReply reply = await ReadReplyAsync(_options.EhloTimeout, SmtpReplyReader.NoCache, "after STARTTLS").ConfigureAwait(false);
        if (reply.Code != 220)
        {
            if (reply.Code == 421)
            {
                throw Fail(SmtpFailureKind.ServiceClosing, reply, $"STARTTLS answered {reply.ToLine()}");
            }

            if (required)
            {
                await SayQuitAsync().ConfigureAwait(false);
                throw Fail(SmtpFailureKind.TlsNotAvailable, LocalReplies.TlsNotAvailable(RemoteEndPoint, $"STARTTLS was refused: {reply.ToLine()}"), $"STARTTLS refused: {reply.ToLine()}");
            }

            // RFC 3207 §4: after 454 the client may go on in clear; opportunistic does.
            return;
        }

        // RFC 3207 §6 and CVE-2011-0411: anything after the 220 but before the handshake was
        // sent in clear and could be an injected reply; a well-behaved server sends nothing.
        if (_reader.TryRead(out ReadResult leftover))
        {
            bool injected = !leftover.Buffer.IsEmpty;
            _reader.AdvanceTo(leftover.Buffer.Start);
            if (injected)
            {
                throw Fail(SmtpFailureKind.ProtocolError, LocalReplies.ProtocolError(RemoteEndPoint, "after STARTTLS", "data before the TLS handshake"), "Data after 220 to STARTTLS, before the TLS handshake.");
            }
        }

        await _reader.CompleteAsync().ConfigureAwait(false);
        await _writer.CompleteAsync().ConfigureAwait(false);
        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = RemoteHostName ?? RemoteEndPoint.Address.ToString(),
            EnabledSslProtocols = _options.EnabledSslProtocols,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = _options.CertificateValidation ?? AcceptAnyCertificate,
        };

        CancellationToken token = Arm(_options.TlsHandshakeTimeout);
        try
        {
            await tls.AuthenticateAsClientAsync(authentication, token).ConfigureAwait(false);
            Disarm();
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or ObjectDisposedException || (e is OperationCanceledException && !_callerCancelled))
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            string detail = e is OperationCanceledException ? $"timed out after {_options.TlsHandshakeTimeout}" : e.Message;
            SmtpFailureKind kind = required ? SmtpFailureKind.TlsHandshakeFailed : SmtpFailureKind.OpportunisticTlsFailed;
            throw Fail(kind, LocalReplies.TlsHandshakeFailed(RemoteEndPoint, detail), $"TLS handshake failed: {detail}", e);
        }

        _tls = tls;
        _stream = tls;
        (_reader, _writer) = CreatePipes(tls);

        // RFC 3207 §4.2: forget what was learnt in clear and ask again.
        Capabilities = SmtpCapabilities.None;
        _replies.EnhancedStatusCodes = false;
        await HelloAsync(allowHeloFallback: false).ConfigureAwait(false);
    }

    private static bool AcceptAnyCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) => true;
}
