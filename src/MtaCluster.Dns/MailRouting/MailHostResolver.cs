using System.Net;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;

namespace MtaCluster.Dns.MailRouting;

/// <summary>
/// RFC 5321 §5.1 mail routing on top of an <see cref="ILookupClient"/>: MX lookup, null MX (RFC 7505),
/// implicit MX, preference ordering with random order among equals, and address resolution of targets.
/// </summary>
public sealed class MailHostResolver : IMailHostResolver
{
    private readonly ILookupClient _lookup;
    private readonly MailHostResolverOptions _options;

    public MailHostResolver(ILookupClient lookup, MailHostResolverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        _lookup = lookup;
        _options = options ?? new MailHostResolverOptions();
        if (!_options.UseIPv4 && !_options.UseIPv6)
        {
            throw new ArgumentException("At least one address family must be enabled.", nameof(options));
        }
    }

    public async Task<MailRoutingResult> ResolveMailHostsAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        string display = DnsName.ToRelative(domain.Trim());
        if (!DnsName.IsValidHostName(display))
        {
            return MailRoutingResult.Permanent(display, MailRoutingStatusCodes.BadDestinationSystem,
                $"'{display}' is not a valid domain name");
        }

        string fqdn = DnsName.ToFullyQualified(display);
        IDnsQueryResponse mxResponse;
        try
        {
            mxResponse = await _lookup.QueryAsync(fqdn, QueryType.MX, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsException ex)
        {
            return MailRoutingResult.Temporary(display, MailRoutingStatusCodes.DirectoryServerFailure,
                $"MX lookup for {display} failed: {ex.Message}");
        }

        DnsResponseCode code = mxResponse.Header.ResponseCode;
        if (code == DnsResponseCode.NameError)
        {
            return MailRoutingResult.Permanent(display, MailRoutingStatusCodes.BadDestinationSystem,
                $"Domain {display} does not exist (NXDOMAIN)");
        }

        if (code != DnsResponseCode.NoError)
        {
            return MailRoutingResult.Temporary(display, MailRoutingStatusCodes.DirectoryServerFailure,
                $"MX lookup for {display} failed: {DnsQueryResponse.DescribeResponseCode(code)} from {mxResponse.NameServer}");
        }

        List<MxRecord> mxRecords = CollectMx(mxResponse.Answers);
        if (mxRecords.Count == 0)
        {
            return await ResolveImplicitMxAsync(display, fqdn, cancellationToken).ConfigureAwait(false);
        }

        // RFC 7505 §3: a "." exchange means the domain accepts no mail; §4.1 forbids trying anything else.
        for (int i = 0; i < mxRecords.Count; i++)
        {
            if (mxRecords[i].IsNullMx)
            {
                return MailRoutingResult.Permanent(display, MailRoutingStatusCodes.NullMx,
                    $"Domain {display} does not accept mail (null MX)");
            }
        }

        MxRecord[] ordered = OrderByPreference(mxRecords, _options.Random);
        int count = Math.Min(ordered.Length, Math.Max(1, _options.MaximumMailHosts));
        var lookups = new Task<AddressLookup>[count];
        for (int i = 0; i < count; i++)
        {
            lookups[i] = ResolveAddressesAsync(ordered[i].Exchange, cancellationToken);
        }

        await Task.WhenAll(lookups).ConfigureAwait(false);

        var hosts = new List<MailHost>(count);
        bool anyTemporary = false;
        for (int i = 0; i < count; i++)
        {
            AddressLookup lookup = await lookups[i].ConfigureAwait(false);
            if (lookup.Addresses.Count > 0)
            {
                hosts.Add(new MailHost(DnsName.ToRelative(ordered[i].Exchange), ordered[i].Preference, lookup.Addresses, isImplicit: false));
            }
            else if (lookup.Outcome == AddressOutcome.TemporaryFailure)
            {
                anyTemporary = true;
            }
        }

        if (hosts.Count == 0)
        {
            return anyTemporary
                ? MailRoutingResult.Temporary(display, MailRoutingStatusCodes.DirectoryServerFailure,
                    $"Address lookups for the MX hosts of {display} failed")
                : MailRoutingResult.Temporary(display, MailRoutingStatusCodes.UnableToRoute,
                    $"None of the MX hosts of {display} has an address");
        }

        return MailRoutingResult.Success(display, hosts, mxResponse.Header.IsAuthenticData,
            $"{hosts.Count} mail host(s) for {display}");
    }

    /// <summary>RFC 5321 §5.1: without MX records the domain itself is the mail host, preference 0.</summary>
    private async Task<MailRoutingResult> ResolveImplicitMxAsync(string display, string fqdn, CancellationToken cancellationToken)
    {
        AddressLookup lookup = await ResolveAddressesAsync(fqdn, cancellationToken).ConfigureAwait(false);
        if (lookup.Addresses.Count > 0)
        {
            var host = new MailHost(display, 0, lookup.Addresses, isImplicit: true);
            return MailRoutingResult.Success(display, [host], lookup.IsAuthenticData,
                $"No MX for {display}; using its address records");
        }

        return lookup.Outcome switch
        {
            AddressOutcome.TemporaryFailure => MailRoutingResult.Temporary(display, MailRoutingStatusCodes.DirectoryServerFailure,
                $"Address lookup for {display} failed"),
            AddressOutcome.NameError => MailRoutingResult.Permanent(display, MailRoutingStatusCodes.BadDestinationSystem,
                $"Domain {display} does not exist (NXDOMAIN)"),
            _ => MailRoutingResult.Permanent(display, MailRoutingStatusCodes.BadDestinationSystem,
                $"Domain {display} has neither MX nor address records"),
        };
    }

    private async Task<AddressLookup> ResolveAddressesAsync(string host, CancellationToken cancellationToken)
    {
        Task<FamilyLookup> v6 = _options.UseIPv6
            ? QueryFamilyAsync(host, QueryType.AAAA, cancellationToken)
            : Task.FromResult(FamilyLookup.Disabled);
        Task<FamilyLookup> v4 = _options.UseIPv4
            ? QueryFamilyAsync(host, QueryType.A, cancellationToken)
            : Task.FromResult(FamilyLookup.Disabled);
        FamilyLookup six = await v6.ConfigureAwait(false);
        FamilyLookup four = await v4.ConfigureAwait(false);

        var addresses = new List<IPAddress>(six.Addresses.Count + four.Addresses.Count);
        addresses.AddRange(six.Addresses);
        addresses.AddRange(four.Addresses);

        AddressOutcome outcome;
        if (addresses.Count > 0)
        {
            outcome = AddressOutcome.Resolved;
        }
        else if (six.Outcome == AddressOutcome.TemporaryFailure || four.Outcome == AddressOutcome.TemporaryFailure)
        {
            outcome = AddressOutcome.TemporaryFailure;
        }
        else if (six.Outcome == AddressOutcome.NameError || four.Outcome == AddressOutcome.NameError)
        {
            outcome = AddressOutcome.NameError;
        }
        else
        {
            outcome = AddressOutcome.NoData;
        }

        bool authentic = (!_options.UseIPv6 || six.IsAuthenticData) && (!_options.UseIPv4 || four.IsAuthenticData);
        return new AddressLookup(addresses, outcome, authentic);
    }

    private async Task<FamilyLookup> QueryFamilyAsync(string host, QueryType type, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _lookup.QueryAsync(host, type, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsException)
        {
            return new FamilyLookup(Array.Empty<IPAddress>(), AddressOutcome.TemporaryFailure, false);
        }

        switch (response.Header.ResponseCode)
        {
            case DnsResponseCode.NoError:
                break;
            case DnsResponseCode.NameError:
                return new FamilyLookup(Array.Empty<IPAddress>(), AddressOutcome.NameError, response.Header.IsAuthenticData);
            default:
                return new FamilyLookup(Array.Empty<IPAddress>(), AddressOutcome.TemporaryFailure, false);
        }

        // The recursive server has already followed any CNAME chain; the addresses sit at its end.
        var addresses = new List<IPAddress>();
        IReadOnlyList<DnsResourceRecord> answers = response.Answers;
        for (int i = 0; i < answers.Count; i++)
        {
            IPAddress? address = answers[i] switch
            {
                ARecord a when type == QueryType.A => a.Address,
                AaaaRecord aaaa when type == QueryType.AAAA => aaaa.Address,
                _ => null,
            };
            if (address is not null && !addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }

        return new FamilyLookup(addresses, addresses.Count > 0 ? AddressOutcome.Resolved : AddressOutcome.NoData, response.Header.IsAuthenticData);
    }

    private static List<MxRecord> CollectMx(IReadOnlyList<DnsResourceRecord> answers)
    {
        var records = new List<MxRecord>(answers.Count);
        for (int i = 0; i < answers.Count; i++)
        {
            if (answers[i] is MxRecord { RecordClass: QueryClass.IN } mx)
            {
                records.Add(mx);
            }
        }

        return records;
    }

    /// <summary>
    /// Sorts by preference, drops repeated exchanges (keeping the most preferred), then shuffles each
    /// run of equal preference (RFC 5321 §5.1) so load spreads across equally preferred hosts.
    /// </summary>
    internal static MxRecord[] OrderByPreference(List<MxRecord> records, Random random)
    {
        var sorted = records.ToArray();
        Array.Sort(sorted, static (a, b) => a.Preference.CompareTo(b.Preference));

        var unique = new List<MxRecord>(sorted.Length);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (MxRecord record in sorted)
        {
            if (seen.Add(record.Exchange))
            {
                unique.Add(record);
            }
        }

        MxRecord[] result = unique.ToArray();
        int start = 0;
        while (start < result.Length)
        {
            int end = start + 1;
            while (end < result.Length && result[end].Preference == result[start].Preference)
            {
                end++;
            }

            for (int i = end - 1; i > start; i--)
            {
                int j = random.Next(start, i + 1);
                (result[i], result[j]) = (result[j], result[i]);
            }

            start = end;
        }

        return result;
    }

    private enum AddressOutcome
    {
        Resolved,
        NoData,
        NameError,
        TemporaryFailure,
    }

    private readonly record struct FamilyLookup(IReadOnlyList<IPAddress> Addresses, AddressOutcome Outcome, bool IsAuthenticData)
    {
        public static FamilyLookup Disabled => new(Array.Empty<IPAddress>(), AddressOutcome.NoData, true);
    }

    private readonly record struct AddressLookup(List<IPAddress> Addresses, AddressOutcome Outcome, bool IsAuthenticData);
}
