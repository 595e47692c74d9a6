namespace MtaCluster.Cmd.Tests;

/// <summary>The prompt's line editing, key by key, as a terminal sends them.</summary>
public sealed class LineEditorTests
{
    private static readonly string[] History = ["cluster show", "mta queue top -n 5", "mta queue summary"];

    private static ConsoleKeyInfo Key(ConsoleKey key, bool control = false) => new('\0', key, shift: false, alt: false, control);

    private static ConsoleKeyInfo Char(char c) => new(c, ConsoleKey.NoName, shift: false, alt: false, control: false);

    private static IEnumerable<ConsoleKeyInfo> Text(string text) => text.Select(Char);

    private static async Task<(string? Line, string Screen)> TypeAsync(IEnumerable<ConsoleKeyInfo> keys, IReadOnlyList<string>? history = null, int width = 80)
    {
        var queue = new Queue<ConsoleKeyInfo>(keys);
        var screen = new StringWriter();
        var editor = new LineEditor(_ => queue.Count > 0 ? Task.FromResult(queue.Dequeue()) : throw new InvalidOperationException("the editor asked for a key past the last one"),
            screen, () => width);
        var line = await editor.ReadLineAsync("pbm> ", history ?? History, CancellationToken.None);
        Assert.Empty(queue);
        return (line, screen.ToString());
    }

    [Fact]
    public async Task Up_brings_back_earlier_commands_newest_first_and_down_returns_to_what_was_being_typed()
    {
        Assert.Equal("mta queue summary", (await TypeAsync([Key(ConsoleKey.UpArrow), Key(ConsoleKey.Enter)])).Line);
        Assert.Equal("mta queue top -n 5", (await TypeAsync([Key(ConsoleKey.UpArrow), Key(ConsoleKey.UpArrow), Key(ConsoleKey.Enter)])).Line);
        // Past the oldest, up stays there.
        Assert.Equal("cluster show", (await TypeAsync([.. Enumerable.Repeat(Key(ConsoleKey.UpArrow), 5), Key(ConsoleKey.Enter)])).Line);
        Assert.Equal("mta dom", (await TypeAsync([.. Text("mta dom"), Key(ConsoleKey.UpArrow), Key(ConsoleKey.UpArrow), Key(ConsoleKey.DownArrow),
            Key(ConsoleKey.DownArrow), Key(ConsoleKey.DownArrow), Key(ConsoleKey.Enter)])).Line);
        // Ctrl-P and Ctrl-N as the arrows; a recalled line can be edited.
        Assert.Equal("mta queue top -n 50", (await TypeAsync([Key(ConsoleKey.P, control: true), Key(ConsoleKey.P, control: true),
            Key(ConsoleKey.P, control: true), Key(ConsoleKey.N, control: true), Char('0'), Key(ConsoleKey.Enter)])).Line);
        Assert.Equal("", (await TypeAsync([Key(ConsoleKey.UpArrow), Key(ConsoleKey.Enter)], history: [])).Line);
    }

    [Fact]
    public async Task The_cursor_moves_and_erases_inside_the_line()
    {
        Assert.Equal("mta queue show a.test", (await TypeAsync([.. Text("mta show a.test"), Key(ConsoleKey.Home), .. Enumerable.Repeat(Key(ConsoleKey.RightArrow), 4),
            .. Text("queue "), Key(ConsoleKey.Enter)])).Line);
        Assert.Equal("cluster show", (await TypeAsync([.. Text("cluster showw"), Key(ConsoleKey.Backspace), Key(ConsoleKey.Enter)])).Line);
        Assert.Equal("cluster", (await TypeAsync([.. Text("xcluster"), Key(ConsoleKey.A, control: true), Key(ConsoleKey.Delete), Key(ConsoleKey.E, control: true),
            Key(ConsoleKey.Enter)])).Line);
        Assert.Equal("mta ", (await TypeAsync([.. Text("mta queue top"), Key(ConsoleKey.W, control: true), Key(ConsoleKey.W, control: true), Key(ConsoleKey.Enter)])).Line);
        Assert.Equal("top", (await TypeAsync([.. Text("mta queue top"), Key(ConsoleKey.LeftArrow), Key(ConsoleKey.LeftArrow), Key(ConsoleKey.LeftArrow),
            Key(ConsoleKey.U, control: true), Key(ConsoleKey.Enter)])).Line);
        Assert.Equal("mta", (await TypeAsync([.. Text("mta queue"), Key(ConsoleKey.Home), Key(ConsoleKey.F, control: true), Key(ConsoleKey.F, control: true),
            Key(ConsoleKey.F, control: true), Key(ConsoleKey.K, control: true), Key(ConsoleKey.Enter)])).Line);
        // Keys that mean nothing here change nothing.
        Assert.Equal("ab", (await TypeAsync([Char('a'), Key(ConsoleKey.Tab), Key(ConsoleKey.Backspace, control: false), Char('a'), Char('b'),
            Key(ConsoleKey.Delete), Key(ConsoleKey.RightArrow), Key(ConsoleKey.G, control: true), Key(ConsoleKey.Enter)])).Line);
    }

    [Fact]
    public async Task Ctrl_D_on_an_empty_line_ends_the_prompt_and_inside_a_line_deletes_under_the_cursor()
    {
        Assert.Null((await TypeAsync([Key(ConsoleKey.D, control: true)])).Line);
        Assert.Equal("ab", (await TypeAsync([.. Text("axb"), Key(ConsoleKey.LeftArrow), Key(ConsoleKey.LeftArrow), Key(ConsoleKey.D, control: true),
            Key(ConsoleKey.Enter)])).Line);
    }

    [Fact]
    public async Task The_line_is_redrawn_after_the_prompt_with_the_cursor_where_it_stands()
    {
        var (line, screen) = await TypeAsync([.. Text("ab"), Key(ConsoleKey.LeftArrow), Key(ConsoleKey.Enter)]);
        Assert.Equal("ab", line);
        Assert.Equal("\r\u001b[Kpbm> \r\u001b[5C" + "\r\u001b[Kpbm> a\r\u001b[6C" + "\r\u001b[Kpbm> ab\r\u001b[7C" + "\r\u001b[Kpbm> ab\r\u001b[6C"
            + "\r\u001b[Kpbm> ab\r\u001b[7C\r\n", screen);
    }

    [Fact]
    public async Task A_line_longer_than_the_terminal_is_wide_is_redrawn_over_its_rows()
    {
        // Ten columns: the prompt and "abcdefghij" take two rows. Home goes up a row to the prompt's.
        var (line, screen) = await TypeAsync([.. Text("abcdefghij"), Key(ConsoleKey.Home), Char('>'), Key(ConsoleKey.Enter)], width: 10);
        Assert.Equal(">abcdefghij", line);
        Assert.Contains("\r\u001b[K\u001b[1A\r\u001b[Kpbm> abcdefghij\u001b[1A\r\u001b[5C", screen);
        // After the '>' the cursor is on the first row: down one, both rows erased, the line redrawn.
        Assert.Contains("\u001b[1B\r\u001b[K\u001b[1A\r\u001b[Kpbm> >abcdefghij\u001b[1A\r\u001b[6C", screen);
        // Enter: to the end of the line first, then below it.
        Assert.EndsWith("\u001b[1B\r\u001b[K\u001b[1A\r\u001b[Kpbm> >abcdefghij\r\u001b[6C\r\n", screen);
    }

    [Fact]
    public async Task A_line_that_ends_at_the_edge_moves_the_cursor_to_the_next_row()
    {
        var (line, screen) = await TypeAsync([.. Text("abcde"), Key(ConsoleKey.Enter)], width: 10);
        Assert.Equal("abcde", line);
        Assert.Contains("\r\u001b[Kpbm> abcde\r\n\r", screen);
        // No blank line before what the command prints.
        Assert.False(screen.ToString().EndsWith("\r\n\r\r\n", StringComparison.Ordinal));
    }
}
