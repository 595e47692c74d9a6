namespace MtaCluster.Cmd.Tests;

/// <summary>The prompt's line editing, key by key, as a terminal sends them.</summary>
public sealed class LineEditorTests
{
    private static readonly string[] History = ["cluster show", "mta queue top -n 5", "mta queue summary"];

    private static ConsoleKeyInfo Key(ConsoleKey key, bool control = false) => new('\0', key, shift: false, alt: false, control);

    private static ConsoleKeyInfo Char(char c) => new(c, ConsoleKey.NoName, shift: false, alt: false, control: false);

    private static IEnumerable<ConsoleKeyInfo> Text(string text) => text.Select(Char);

    private static async Task<(string? Line, string Screen)> TypeAsync(IEnumerable<ConsoleKeyInfo> keys, IReadOnlyList<string>? history = null)
    {
        var queue = new Queue<ConsoleKeyInfo>(keys);
        var screen = new StringWriter();
        var editor = new LineEditor(_ => queue.Count > 0 ? Task.FromResult(queue.Dequeue()) : throw new InvalidOperationException("the editor asked for a key past the last one"), screen);
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
        Assert.Equal("\rpbm> \u001b[K" + "\rpbm> a\u001b[K" + "\rpbm> ab\u001b[K" + "\rpbm> ab\u001b[K\u001b[1D" + "\r\n", screen);
    }
}
