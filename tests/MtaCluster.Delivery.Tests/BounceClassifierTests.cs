using MtaCluster.Delivery.Classification;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Tests;

public class BounceClassifierTests
{
    private static readonly BounceClassifier Classifier = new();

    [Theory]
    // Gmail
    [InlineData(550, "5.1.1", "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser", "bad-mailbox")]
    [InlineData(550, "5.2.1", "The email account that you tried to reach is disabled. Learn more at https://support.google.com/mail/?p=DisabledUser", "inactive-mailbox")]
    [InlineData(452, "4.2.2", "The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp", "quota-issues")]
    [InlineData(552, "5.2.2", "The email account that you tried to reach is over quota and inactive.", "quota-issues")]
    [InlineData(550, "5.7.1", "Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.", "spam-related")]
    [InlineData(550, "5.7.26", "This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been blocked. The sender must authenticate with at least one of SPF or DKIM.", "policy-related")]
    [InlineData(421, "4.7.0", "Try again later, closing connection. (EHLO)", "policy-related")]
    [InlineData(552, "5.7.0", "This message was blocked because its content presents a potential security issue. Please visit https://support.google.com/mail/?p=BlockedMessage to review our message content and attachment content guidelines.", "policy-related")]
    [InlineData(554, "5.7.1", "Message rejected: virus found in message (Win.Test.EICAR_HDB-1)", "virus-related")]
    [InlineData(552, "5.3.4", "Your message exceeded Google's message size limits.", "content-related")]
    [InlineData(550, "5.1.10", "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "bad-mailbox")]
    // Outlook / Microsoft 365
    [InlineData(550, "5.5.0", "Requested action not taken: mailbox unavailable (S2017062302). [BN8NAM12FT045.eop-nam12.prod.protection.outlook.com]", "bad-mailbox")]
    [InlineData(550, "5.7.1", "Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", "spam-related")]
    [InlineData(451, "4.7.500", "Server busy. Please try again later from [192.0.2.10]. (S77719) [AM0EUR02FT011.eop-EUR02.prod.protection.outlook.com]", "policy-related")]
    [InlineData(550, "5.4.1", "Recipient address rejected: Access denied. AS(201806281) [DM6NAM11FT024.eop-nam11.prod.protection.outlook.com]", "bad-mailbox")]
    [InlineData(554, "5.4.14", "Hop count exceeded - possible mail loop ATTR34", "routing-errors")]
    [InlineData(550, "5.7.606", "Access denied, banned sending IP [192.0.2.10]. To request removal from this list please visit https://sender.office.com/", "policy-related")]
    // Yahoo / AOL
    [InlineData(554, null, "delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0] - mta1234.mail.bf1.yahoo.com", "bad-mailbox")]
    [InlineData(554, null, "delivery error: dd Sorry your message to someone@yahoo.com cannot be delivered. This mailbox is disabled (554.30). - mta1234.mail.ne1.yahoo.com", "inactive-mailbox")]
    [InlineData(421, "4.7.0", "[TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes", "policy-related")]
    [InlineData(554, "5.7.9", "Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes", "policy-related")]
    [InlineData(553, "5.7.1", "[BL21] Connections will not be accepted from 192.0.2.10, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes", "spam-related")]
    // Postfix, Exim and others
    [InlineData(550, "5.1.1", "<nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table", "bad-mailbox")]
    [InlineData(554, "5.7.1", "Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org", "spam-related")]
    [InlineData(450, "4.1.2", "<user@nonexistent.example>: Recipient address rejected: Domain not found", "bad-domain")]
    [InlineData(552, null, "5.2.2 Mailbox full", "quota-issues")]
    [InlineData(550, null, "Requested action not taken: 5.1.1 user unknown", "bad-mailbox")]
    [InlineData(550, null, "Requested action not taken: 5.1.2 host unknown", "bad-domain")]
    [InlineData(554, "5.6.0", "Message content rejected, UBE, id=12345-01", "content-related")]
    [InlineData(451, "4.4.2", "Timeout waiting for data", "no-answer-from-host")]
    [InlineData(451, "4.4.7", "Delivery time expired", "message-expired")]
    [InlineData(500, "5.5.2", "Syntax error, command unrecognized", "protocol-errors")]
    [InlineData(554, null, "Transaction failed", "other")]
    [InlineData(451, null, "Local error in processing", "other")]
    public void Real_world_replies(int code, string? enhanced, string text, string expected)
    {
        Assert.Equal(expected, Classifier.Classify(code, enhanced, text).ToName());
    }

    [Theory]
    [InlineData("5.1.1", BounceCategory.BadMailbox)]
    [InlineData("5.1.2", BounceCategory.BadDomain)]
    [InlineData("5.1.10", BounceCategory.BadDomain)]
    [InlineData("5.2.1", BounceCategory.InactiveMailbox)]
    [InlineData("5.2.2", BounceCategory.QuotaIssues)]
    [InlineData("4.2.2", BounceCategory.QuotaIssues)]
    [InlineData("5.7.1", BounceCategory.PolicyRelated)]
    [InlineData("5.4.4", BounceCategory.RoutingErrors)]
    [InlineData("5.4.6", BounceCategory.RoutingErrors)]
    [InlineData("5.5.1", BounceCategory.ProtocolErrors)]
    [InlineData("5.6.1", BounceCategory.ContentRelated)]
    [InlineData("4.4.7", BounceCategory.MessageExpired)]
    [InlineData("4.4.1", BounceCategory.NoAnswerFromHost)]
    [InlineData("4.4.2", BounceCategory.NoAnswerFromHost)]
    [InlineData("5.0.0", BounceCategory.Other)]
    public void Status_code_table(string enhanced, BounceCategory expected)
    {
        var classifier = new BounceClassifier([]);
        Assert.Equal(expected, classifier.Classify(int.Parse(enhanced[..1]) * 100 + 50, enhanced, "rejected"));
    }

    [Fact]
    public void Rules_are_tried_before_the_code_table()
    {
        var classifier = new BounceClassifier([BounceRule.Create("custom marker", BounceCategory.ContentRelated)]);
        Assert.Equal(BounceCategory.ContentRelated, classifier.Classify(550, "5.1.1", "user unknown, custom marker"));
        Assert.Equal(BounceCategory.BadMailbox, classifier.Classify(550, "5.1.1", "user unknown"));
    }

    [Fact]
    public void A_multi_line_reply_is_matched_as_the_one_line_backoff_patterns_see()
    {
        var classifier = new BounceClassifier([BounceRule.Create("blocked using example-rbl", BounceCategory.SpamRelated)]);
        var reply = new MtaCluster.Mail.SmtpReply(550, new MtaCluster.Mail.EnhancedStatusCode(5, 7, 1), ["Message rejected: blocked", "using example-rbl"]);
        Assert.Equal(BounceCategory.SpamRelated, classifier.Classify(reply));
    }

    [Fact]
    public void Rules_can_anchor_on_the_codes()
    {
        var classifier = new BounceClassifier([BounceRule.Create(@"^554 5\.7\.9", BounceCategory.SpamRelated)]);
        Assert.Equal(BounceCategory.SpamRelated, classifier.Classify(554, "5.7.9", "policy reasons"));
    }

    [Fact]
    public void Basic_codes_are_the_last_resort()
    {
        var classifier = new BounceClassifier([]);
        Assert.Equal(BounceCategory.BadMailbox, classifier.Classify(550, null, "no"));
        Assert.Equal(BounceCategory.QuotaIssues, classifier.Classify(452, null, "no"));
        Assert.Equal(BounceCategory.ProtocolErrors, classifier.Classify(503, null, "no"));
        Assert.Equal(BounceCategory.Other, classifier.Classify(421, null, "no"));
    }

    [Theory]
    [InlineData("550 5.1.1 user unknown", "5.1.1")]
    [InlineData("Requested action not taken: 4.2.2 over quota", "4.2.2")]
    [InlineData("blocked, see 5.7.606.", "5.7.606")]
    [InlineData("[192.0.2.5] said 5.4.1 no", "5.4.1")]
    [InlineData("deferred - 4.16.55.1; see 4.7.0", "4.7.0")]
    public void Extracts_enhanced_codes_from_text(string text, string expected)
    {
        Assert.True(EnhancedStatusCode.TryExtract(text, out var code));
        Assert.Equal(expected, code.ToString());
    }

    [Theory]
    [InlineData("connection from 192.0.2.5 refused")]
    [InlineData("version 2.1.10.4 of something")]
    [InlineData("error 3.1.1")]
    [InlineData("")]
    public void Does_not_extract_what_is_not_a_code(string text)
    {
        Assert.False(EnhancedStatusCode.TryExtract(text, out _));
    }

    [Fact]
    public void Parses_exact_codes_only()
    {
        Assert.True(EnhancedStatusCode.TryParse(" 5.7.26 ", out var code));
        Assert.Equal(new EnhancedStatusCode(5, 7, 26), code);
        Assert.False(EnhancedStatusCode.TryParse("5.7", out _));
        Assert.False(EnhancedStatusCode.TryParse("3.1.1", out _));
        Assert.False(EnhancedStatusCode.TryParse("5.1.1000", out _));
    }

    [Fact]
    public void Category_names_round_trip()
    {
        Assert.Equal(13, BounceCategoryNames.All.Count);
        foreach (var category in Enum.GetValues<BounceCategory>())
        {
            Assert.True(BounceCategoryNames.TryParse(category.ToName(), out var parsed));
            Assert.Equal(category, parsed);
        }

        Assert.Equal("no-answer-from-host", BounceCategory.NoAnswerFromHost.ToName());
        Assert.False(BounceCategoryNames.TryParse("spam", out _));
    }
}
