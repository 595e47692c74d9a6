namespace MtaCluster.Testing;

/// <summary>Waits for a condition a test cannot be told about, polling, with a deadline generous enough for a slow machine.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan patience, string what)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"gave up waiting for {what}");
            await Task.Delay(50);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan patience, string what) =>
        UntilAsync(() => Task.FromResult(condition()), patience, what);
}
