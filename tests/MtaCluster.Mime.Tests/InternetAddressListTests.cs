namespace MtaCluster.Mime.Tests;

public class InternetAddressListTests
{
    [Fact]
    public void Display_names_quoted_encoded_and_plain_with_comments()
    {
        InternetAddressList list = InternetAddressList.Parse(
            "\"Doe, John\" <john@example.test>, =?gb2312?B?1tDOxA==?= <zh@example.test>, Plain Name (note) <p@example.test>,"
            + " bare@example.test (Bare Name), <angle@example.test>");

        var boxes = list.Mailboxes.ToList();
        Assert.Equal(["john@example.test", "zh@example.test", "p@example.test", "bare@example.test", "angle@example.test"],
            boxes.Select(b => b.Address));
        Assert.Equal(["Doe, John", "中文", "Plain Name", "Bare Name", ""], boxes.Select(b => b.Name));
        Assert.Equal("example.test", boxes[0].Domain);
        Assert.Equal("john", boxes[0].LocalPart);
    }

    [Fact]
    public void Groups_with_and_without_members()
    {
        InternetAddressList list = InternetAddressList.Parse("undisclosed-recipients:;, Team: a@x.test, B <b@x.test>;, c@x.test");

        Assert.Equal(3, list.Count);
        var empty = Assert.IsType<GroupAddress>(list[0]);
        Assert.Equal("undisclosed-recipients", empty.Name);
        Assert.Empty(empty.Members);
        var team = Assert.IsType<GroupAddress>(list[1]);
        Assert.Equal(["a@x.test", "b@x.test"], team.Members.Mailboxes.Select(m => m.Address));
        Assert.Equal(["a@x.test", "b@x.test", "c@x.test"], list.Mailboxes.Select(m => m.Address));
        Assert.Equal("undisclosed-recipients:;, Team: a@x.test, B <b@x.test>;, c@x.test", list.ToString());
    }

    [Fact]
    public void Obsolete_routes_cfws_inside_the_addr_spec_and_empty_members_are_read()
    {
        InternetAddressList list = InternetAddressList.Parse(",, Joe <@relay1.test,@relay2.test:joe@x.test>, ann . lee @ (c) y.test ,");

        var boxes = list.Mailboxes.ToList();
        Assert.Equal(2, boxes.Count);
        Assert.Equal("joe@x.test", boxes[0].Address);
        Assert.Equal(["relay1.test", "relay2.test"], boxes[0].Route);
        Assert.Equal("Joe <@relay1.test,@relay2.test:joe@x.test>", boxes[0].ToString());
        Assert.Equal("ann.lee@y.test", boxes[1].Address);
    }

    [Fact]
    public void Quoted_local_parts_and_domain_literals_stay_as_written()
    {
        InternetAddressList list = InternetAddressList.Parse("\"john smith\"@example.test, x@[192.0.2.1]");
        Assert.Equal(["\"john smith\"@example.test", "x@[192.0.2.1]"], list.Mailboxes.Select(m => m.Address));
    }

    [Fact]
    public void Formatting_quotes_specials_and_encodes_non_ascii_names_unless_utf8()
    {
        var list = new InternetAddressList([
            new MailboxAddress("Doe, John", "john@example.test"),
            new MailboxAddress("张三", "zhang@example.test"),
            new MailboxAddress("Plain", "p@example.test"),
        ]);

        string ascii = list.ToString();
        Assert.Equal("\"Doe, John\" <john@example.test>, =?utf-8?B?5byg5LiJ?= <zhang@example.test>, Plain <p@example.test>", ascii);
        Assert.Equal("\"Doe, John\" <john@example.test>, 张三 <zhang@example.test>, Plain <p@example.test>", list.ToString(utf8: true));
        Assert.Equal(["Doe, John", "张三", "Plain"], InternetAddressList.Parse(ascii).Mailboxes.Select(m => m.Name));
    }

    [Fact]
    public void Internationalised_addresses_parse_as_atoms()
    {
        MailboxAddress box = InternetAddressList.Parse("用户 <用户@例子.测试>").Mailboxes.Single();
        Assert.Equal("用户@例子.测试", box.Address);
        Assert.Equal("用户", box.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<<<>>>")]
    [InlineData("\"unterminated <a@b")]
    [InlineData("(open comment a@b")]
    [InlineData(":;:;@@,,<>")]
    public void Garbage_never_throws(string text) => Assert.NotNull(InternetAddressList.Parse(text));
}
