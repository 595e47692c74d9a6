namespace MtaCluster.Smtp.Auth;

/// <summary>Checks AUTH credentials. Implementations must not reveal whether the user exists.</summary>
public interface IUserAuthenticator
{
    ValueTask<bool> AuthenticateAsync(string userName, string password, CancellationToken cancellationToken);
}
