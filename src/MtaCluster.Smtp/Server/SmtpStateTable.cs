using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// The legal commands per state and where each leads when it succeeds: the one place the dialogue order
/// lives. A command absent for a state gets 503 5.5.1. Commands that do not move (NOOP, QUIT, ...) map to
/// their own state; RSET and HELO/EHLO move back (RFC 5321 §4.1.1.5, §4.1.4).
/// </summary>
public static class SmtpStateTable
{
    private static readonly SmtpSessionState?[,] Next = Build();

    public static bool TryGetNext(SmtpSessionState state, SmtpCommandKind command, out SmtpSessionState next)
    {
        var target = Next[(int)state, (int)command];
        next = target ?? state;
        return target.HasValue;
    }

    private static SmtpSessionState?[,] Build()
    {
        var states = Enum.GetValues<SmtpSessionState>();
        var table = new SmtpSessionState?[states.Length, Enum.GetValues<SmtpCommandKind>().Length];

        void Allow(SmtpSessionState from, SmtpCommandKind command, SmtpSessionState to) => table[(int)from, (int)command] = to;

        foreach (var s in states)
        {
            if (s == SmtpSessionState.Data) continue;
            Allow(s, SmtpCommandKind.Ehlo, SmtpSessionState.Greeted);
            Allow(s, SmtpCommandKind.Helo, SmtpSessionState.Greeted);
            Allow(s, SmtpCommandKind.Rset, s == SmtpSessionState.Connected ? SmtpSessionState.Connected : SmtpSessionState.Greeted);
            Allow(s, SmtpCommandKind.Noop, s);
            Allow(s, SmtpCommandKind.Quit, s);
            Allow(s, SmtpCommandKind.Vrfy, s);
            Allow(s, SmtpCommandKind.Expn, s);
            Allow(s, SmtpCommandKind.Help, s);
        }

        Allow(SmtpSessionState.Greeted, SmtpCommandKind.StartTls, SmtpSessionState.Connected);
        Allow(SmtpSessionState.Greeted, SmtpCommandKind.Auth, SmtpSessionState.Greeted);
        Allow(SmtpSessionState.Greeted, SmtpCommandKind.Mail, SmtpSessionState.MailFrom);
        Allow(SmtpSessionState.MailFrom, SmtpCommandKind.Rcpt, SmtpSessionState.RcptTo);
        Allow(SmtpSessionState.RcptTo, SmtpCommandKind.Rcpt, SmtpSessionState.RcptTo);
        Allow(SmtpSessionState.RcptTo, SmtpCommandKind.Data, SmtpSessionState.Data);
        Allow(SmtpSessionState.RcptTo, SmtpCommandKind.Bdat, SmtpSessionState.Bdat);
        Allow(SmtpSessionState.Bdat, SmtpCommandKind.Bdat, SmtpSessionState.Bdat);
        return table;
    }
}
