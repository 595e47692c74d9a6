using System.Globalization;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Tenants;

/// <summary>What a reload of the Tenants section changed, in words for the log: tenants added and removed, each setting changed, users moved.</summary>
public static class TenantDirectoryComparer
{
    public static List<string> Differences(TenantDirectory before, TenantDirectory after)
    {
        var changes = new List<string>();
        var old = before.All.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var now = after.All.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var name in old.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
        {
            var (was, @is) = (old.GetValueOrDefault(name), now.GetValueOrDefault(name));
            if (was is null) changes.Add($"{name} added ({Describe(@is!)})");
            else if (@is is null) changes.Add($"{name} removed");
            else
            {
                if (was.Weight != @is.Weight) changes.Add($"{name} weight {was.Weight} -> {@is.Weight}");
                if (was.DefaultLane != @is.DefaultLane) changes.Add($"{name} default lane {Lane(was.DefaultLane)} -> {Lane(@is.DefaultLane)}");
                if (was.MaxMessagesPerHour != @is.MaxMessagesPerHour) changes.Add($"{name} max-messages-per-hour {Limit(was.MaxMessagesPerHour)} -> {Limit(@is.MaxMessagesPerHour)}");
            }
        }
        var users = before.Users.ToDictionary(u => u.Key, u => u.Value, StringComparer.OrdinalIgnoreCase);
        var reloadedUsers = after.Users.ToDictionary(u => u.Key, u => u.Value, StringComparer.OrdinalIgnoreCase);
        foreach (var user in users.Keys.Union(reloadedUsers.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
        {
            // A user no tenant lists submits as default.
            var was = users.GetValueOrDefault(user, TenantName.Default);
            var @is = reloadedUsers.GetValueOrDefault(user, TenantName.Default);
            if (was != @is) changes.Add($"user {user} {was} -> {@is}");
        }
        return changes;
    }

    private static string Describe(Tenant tenant) =>
        $"weight {tenant.Weight}, default lane {Lane(tenant.DefaultLane)}, max-messages-per-hour {Limit(tenant.MaxMessagesPerHour)}";

    private static string Lane(DeliveryLane lane) => lane == DeliveryLane.Transactional ? "transactional" : "bulk";

    private static string Limit(int? limit) => limit is int l ? l.ToString(CultureInfo.InvariantCulture) : "none";
}
