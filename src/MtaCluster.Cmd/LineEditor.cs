using System.Text;

namespace MtaCluster.Cmd;

/// <summary>
/// The interactive prompt's line on a terminal, read key by key as readline does: ↑ and ↓ walk the
/// history (the line being typed comes back below the newest entry), ← → Home End move, Backspace and
/// Delete erase, Ctrl-A/E go to the start and end, Ctrl-U/K cut before and after the cursor, Ctrl-W the
/// word before it, Ctrl-L clears the screen, Ctrl-D on an empty line ends the prompt as end of input does.
/// The line is redrawn whole after each change, over as many screen rows as it takes at the terminal's
/// width (linenoise's multi-line mode): a command longer than the row wraps and is still edited in place.
/// </summary>
/// <param name="width">The terminal's width in columns, read at each redraw (a window may be resized).</param>
public sealed class LineEditor(Func<CancellationToken, Task<ConsoleKeyInfo>> readKey, TextWriter terminal, Func<int> width)
{
    /// <summary>Keys from the process's own terminal (the read blocks a pool thread while it waits for a key).</summary>
    public static LineEditor ForConsole() =>
        new(cancellationToken => Task.Run(() => Console.ReadKey(intercept: true), cancellationToken), Console.Out, ConsoleWidth);

    private static int ConsoleWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    // A terminal that reports no size (a fresh pseudo-terminal reports 0) is taken as the usual 80.
    private int Columns() => width() is > 0 and var columns ? columns : 80;

    // Where the last redraw left things: the cursor's place in the line, and the rows the line took.
    private int _drawnCursor;
    private int _drawnRows;

    /// <summary>The line typed, or null at Ctrl-D on an empty line.</summary>
    public async Task<string?> ReadLineAsync(string prompt, IReadOnlyList<string> history, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var cursor = 0;
        // history.Count stands for the line being typed, kept while the history is browsed.
        var position = history.Count;
        var typed = "";
        _drawnCursor = 0;
        _drawnRows = 0;
        await Redraw(prompt, line, cursor).ConfigureAwait(false);
        while (true)
        {
            var key = await readKey(cancellationToken).ConfigureAwait(false);
            var control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    await EndLine(prompt, line).ConfigureAwait(false);
                    await terminal.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return line.ToString();
                case ConsoleKey.D when control:
                    if (line.Length > 0) goto case ConsoleKey.Delete;
                    await EndLine(prompt, line).ConfigureAwait(false);
                    await terminal.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return null;
                case ConsoleKey.UpArrow:
                case ConsoleKey.P when control:
                    if (position == 0) continue;
                    if (position == history.Count) typed = line.ToString();
                    position--;
                    Replace(line, history[position], ref cursor);
                    break;
                case ConsoleKey.DownArrow:
                case ConsoleKey.N when control:
                    if (position == history.Count) continue;
                    position++;
                    Replace(line, position == history.Count ? typed : history[position], ref cursor);
                    break;
                case ConsoleKey.LeftArrow:
                case ConsoleKey.B when control:
                    if (cursor > 0) cursor--;
                    break;
                case ConsoleKey.RightArrow:
                case ConsoleKey.F when control:
                    if (cursor < line.Length) cursor++;
                    break;
                case ConsoleKey.Home:
                case ConsoleKey.A when control:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                case ConsoleKey.E when control:
                    cursor = line.Length;
                    break;
                case ConsoleKey.Backspace:
                case ConsoleKey.H when control:
                    if (cursor == 0) continue;
                    line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete:
                    if (cursor == line.Length) continue;
                    line.Remove(cursor, 1);
                    break;
                case ConsoleKey.U when control:
                    line.Remove(0, cursor);
                    cursor = 0;
                    break;
                case ConsoleKey.K when control:
                    line.Remove(cursor, line.Length - cursor);
                    break;
                case ConsoleKey.W when control:
                    var start = cursor;
                    while (start > 0 && line[start - 1] == ' ') start--;
                    while (start > 0 && line[start - 1] != ' ') start--;
                    line.Remove(start, cursor - start);
                    cursor = start;
                    break;
                case ConsoleKey.L when control:
                    await terminal.WriteAsync("\u001b[H\u001b[2J").ConfigureAwait(false);
                    _drawnCursor = 0;
                    _drawnRows = 0;
                    break;
                case ConsoleKey.Tab:
                    continue;
                default:
                    if (control || key.KeyChar < ' ' || key.KeyChar == '\u007f') continue;
                    line.Insert(cursor++, key.KeyChar);
                    break;
            }
            await Redraw(prompt, line, cursor).ConfigureAwait(false);
        }
    }

    private static void Replace(StringBuilder line, string text, ref int cursor)
    {
        line.Clear().Append(text);
        cursor = line.Length;
    }

    // Down to the last row of the last drawing, then up to the prompt's row, erasing each; then the
    // prompt and the line, and the cursor moved up and across to where it stands (rows counted from 1).
    // A line that fills its last row exactly leaves the terminal's cursor waiting at the edge: with the
    // cursor at the end, a newline puts it on the next row as typing the next character would.
    private async Task Redraw(string prompt, StringBuilder line, int cursor)
    {
        var columns = Columns();
        var output = new StringBuilder();
        var rows = (prompt.Length + line.Length + columns - 1) / columns;
        var drawnCursorRow = (prompt.Length + _drawnCursor + columns) / columns;
        var drawnRows = _drawnRows;
        if (drawnRows - drawnCursorRow > 0) output.Append("\u001b[").Append(drawnRows - drawnCursorRow).Append('B');
        for (var row = 1; row < drawnRows; row++) output.Append("\r\u001b[K\u001b[1A");
        output.Append("\r\u001b[K").Append(prompt).Append(line);
        if (cursor > 0 && cursor == line.Length && (prompt.Length + cursor) % columns == 0)
        {
            output.Append("\r\n");
            rows++;
        }
        var cursorRow = (prompt.Length + cursor + columns) / columns;
        if (rows - cursorRow > 0) output.Append("\u001b[").Append(rows - cursorRow).Append('A');
        var column = (prompt.Length + cursor) % columns;
        output.Append('\r');
        if (column > 0) output.Append("\u001b[").Append(column).Append('C');

        _drawnRows = Math.Max(drawnRows, rows);
        _drawnCursor = cursor;
        await terminal.WriteAsync(output.ToString()).ConfigureAwait(false);
        await terminal.FlushAsync().ConfigureAwait(false);
    }

    // Below the whole line, however many rows it takes, for what the command prints.
    private async Task EndLine(string prompt, StringBuilder line)
    {
        await Redraw(prompt, line, line.Length).ConfigureAwait(false);
        // A line ending at the edge was moved to the next row by the redraw already.
        if (line.Length == 0 || (prompt.Length + line.Length) % Columns() != 0)
            await terminal.WriteAsync("\r\n").ConfigureAwait(false);
    }
}
