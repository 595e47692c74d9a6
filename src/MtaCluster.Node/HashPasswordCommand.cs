using MtaCluster.Smtp.Auth;

namespace MtaCluster.Node;

/// <summary><c>hash-password [PASSWORD]</c>: prints the salted PBKDF2 hash to put under Smtp:Auth:Users in node.yaml.</summary>
public static class HashPasswordCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string? password = args.Count > 0 ? args[0] : null;
        if (password is null)
        {
            // Read from stdin so the password stays out of shell history and the process list.
            if (!Console.IsInputRedirected) await Console.Error.WriteAsync("password: ");
            password = await Console.In.ReadLineAsync();
        }
        if (string.IsNullOrEmpty(password))
        {
            await Console.Error.WriteLineAsync("error: empty password");
            return 2;
        }
        Console.WriteLine(PasswordHasher.Hash(password));
        return 0;
    }
}
