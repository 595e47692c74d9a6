using System.Text;

namespace MtaCluster.Cmd;

/// <summary>
/// The interactive prompt's line on a terminal, read key by key as readline does: ↑ and ↓ walk the
/// history (the line being typed comes back below the newest entry), ← → Home End move, Backspace and
/// Delete erase, Ctrl-A/E go to the start and end, Ctrl-U/K cut before and after the cursor, Ctrl-W the
/// word before it, Ctrl-L redraws, Ctrl-D on an empty line ends the prompt as end of input does. The line
/// is redrawn whole after each change: prompts are short, and it keeps wrapped lines right.
/// </summary>
public sealed class LineEditor(Func<CancellationToken, Task<ConsoleKeyInfo>> readKey, TextWriter terminal)
{
    /// <summary>Keys from the process's own terminal (the read blocks a pool thread while it waits for a key).</summary>
    public static LineEditor ForConsole() =>
        new(cancellationToken => Task.Run(() => Console.ReadKey(intercept: true), cancellationToken), Console.Out);

    /// <summary>The line typed, or null at Ctrl-D on an empty line.</summary>
    public async Task<string?> ReadLineAsync(string prompt, IReadOnlyList<string> history, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var cursor = 0;
        // history.Count stands for the line being typed, kept while the history is browsed.
        var position = history.Count;
        var typed = "";
        await Redraw(prompt, line, cursor).ConfigureAwait(false);
        while (true)
        {
            var key = await readKey(cancellationToken).ConfigureAwait(false);
            var control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    await terminal.WriteAsync("\r\n").ConfigureAwait(false);
                    await terminal.FlushAsync(cancellationToken).ConfigureAwait(false);
                    return line.ToString();
                case ConsoleKey.D when control:
                    if (line.Length > 0) goto case ConsoleKey.Delete;
                    await terminal.WriteAsync("\r\n").ConfigureAwait(false);
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

    // Back to the line's start, the prompt and the line, the rest of the screen line erased, then the
    // cursor moved back from the end to where it stands.
    private async Task Redraw(string prompt, StringBuilder line, int cursor)
    {
        var back = line.Length - cursor;
        await terminal.WriteAsync($"\r{prompt}{line}\u001b[K{(back > 0 ? $"\u001b[{back}D" : "")}").ConfigureAwait(false);
        await terminal.FlushAsync().ConfigureAwait(false);
    }
}
