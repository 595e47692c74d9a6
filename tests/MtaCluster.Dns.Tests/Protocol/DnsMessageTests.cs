using System.Buffers.Binary;
using System.Net;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;
using MtaCluster.Dns.Transport;

namespace MtaCluster.Dns.Tests.Protocol;

public class DnsMessageTests
{
    internal static DnsMessage SampleResponse() => new()
    {
        Header = new DnsHeader
        {
            Id = 0xBEEF,
            IsResponse = true,
            RecursionDesired = true,
            RecursionAvailable = true,
            IsAuthenticData = true,
            ResponseCode = DnsResponseCode.NoError,
        },
        Questions = [new DnsQuestion("example.net", QueryType.MX)],
        Answers =
        [
            new MxRecord("example.net", 300, 10, "mx1.example.net"),
            new MxRecord("example.net", 300, 20, "mx2.example.net"),
            new ARecord("mx1.example.net", 60, IPAddress.Parse("192.0.2.1")),
            new AaaaRecord("mx1.example.net", 60, IPAddress.Parse("2001:db8::1")),
            new CNameRecord("www.example.net", 60, "example.net"),
            new TxtRecord("example.net", 60, ["v=spf1 -all", "\u00e9t\u00e9"]),
            new PtrRecord("1.2.0.192.in-addr.arpa", 60, "mx1.example.net"),
            new TlsaRecord("_25._tcp.mx1.example.net", 60, TlsaCertificateUsage.DaneEE, TlsaSelector.SubjectPublicKeyInfo, TlsaMatchingType.Sha256, new byte[] { 1, 2, 3, 4 }),
            new SrvRecord("_submission._tcp.example.net", 60, 0, 1, 587, "mx1.example.net"),
            new UnknownRecord("example.net", (QueryType)65280, 60, new byte[] { 9, 8, 7 }),
        ],
        Authorities =
        [
            new NsRecord("example.net", 3600, "ns1.example.net"),
            new SoaRecord("example.net", 3600, "ns1.example.net", "hostmaster.example.net", 2024010101, 7200, 3600, 1209600, 300),
        ],
        Additionals = [new ARecord("ns1.example.net", 3600, IPAddress.Parse("192.0.2.53"))],
        Opt = new OptRecord(1232, dnssecOk: true),
    };

    [Fact]
    public void Encode_then_parse_round_trips_every_record_type()
    {
        DnsMessage original = SampleResponse();
        DnsMessage parsed = DnsMessage.Parse(original.Encode());

        Assert.Equal(0xBEEF, parsed.Header.Id);
        Assert.True(parsed.Header.IsResponse);
        Assert.True(parsed.Header.IsAuthenticData);
        Assert.True(parsed.Header.RecursionAvailable);
        Assert.False(parsed.Header.IsTruncated);
        Assert.Equal(new DnsQuestion("example.net.", QueryType.MX), parsed.Questions[0]);
        Assert.Equal(original.Answers.Count, parsed.Answers.Count);
        for (int i = 0; i < original.Answers.Count; i++)
        {
            Assert.Equal(original.Answers[i].ToString(), parsed.Answers[i].ToString());
        }

        Assert.Equal(original.Authorities[1].ToString(), parsed.Authorities[1].ToString());
        Assert.Single(parsed.Additionals);
        Assert.NotNull(parsed.Opt);
        Assert.Equal(1232, parsed.Opt!.UdpPayloadSize);
        Assert.True(parsed.Opt.DnssecOk);

        var mx = Assert.IsType<MxRecord>(parsed.Answers[0]);
        Assert.Equal(10, mx.Preference);
        Assert.Equal("mx1.example.net.", mx.Exchange);
        var txt = Assert.IsType<TxtRecord>(parsed.Answers[5]);
        Assert.Equal(["v=spf1 -all", "\u00e9t\u00e9"], txt.Text);
        var tlsa = Assert.IsType<TlsaRecord>(parsed.Answers[7]);
        Assert.Equal(TlsaCertificateUsage.DaneEE, tlsa.CertificateUsage);
        Assert.Equal(TlsaSelector.SubjectPublicKeyInfo, tlsa.Selector);
        Assert.Equal(TlsaMatchingType.Sha256, tlsa.MatchingType);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, tlsa.CertificateAssociationData.ToArray());
        var soa = Assert.IsType<SoaRecord>(parsed.Authorities[1]);
        Assert.Equal(300u, soa.Minimum);
        Assert.Equal("hostmaster.example.net.", soa.RName);
    }

    [Fact]
    public void Writer_compresses_repeated_names()
    {
        byte[] wire = SampleResponse().Encode();
        int pointers = 0;
        for (int i = 12; i + 1 < wire.Length; i++)
        {
            // A pointer to the question name at offset 12.
            if (wire[i] == 0xC0 && wire[i + 1] == 12)
            {
                pointers++;
            }
        }

        Assert.True(pointers >= 5, $"expected the owner 'example.net' to be compressed, saw {pointers} pointers");

        var uncompressed = new DnsMessageWriter();
        uncompressed.WriteName("mx1.example.net", compress: false);
        uncompressed.WriteName("mx1.example.net", compress: false);
        var compressed = new DnsMessageWriter();
        compressed.WriteName("mx1.example.net");
        compressed.WriteName("MX1.example.NET");
        Assert.Equal(34, uncompressed.Length);
        Assert.Equal(19, compressed.Length);
    }

    [Fact]
    public void Names_compare_case_insensitively_and_keep_escapes()
    {
        var writer = new DnsMessageWriter();
        writer.WriteName(@"a\.b.example.");
        var reader = new DnsMessageReader(writer.WrittenSpan);
        Assert.Equal(@"a\.b.example.", reader.ReadName());
        Assert.Equal(new DnsQuestion("Example.NET.", QueryType.A), new DnsQuestion("example.net", QueryType.A));
        Assert.NotEqual(new DnsQuestion("example.net", QueryType.A), new DnsQuestion("example.net", QueryType.AAAA));
    }

    [Fact]
    public void Query_advertises_edns_payload_and_sets_rd()
    {
        var question = new DnsQuestion("example.net", QueryType.MX);
        byte[] query = QueryMessageBuilder.Build(0x1234, question, 1232, requestAuthenticData: true);
        DnsMessage parsed = DnsMessage.Parse(query);
        Assert.Equal(0x1234, parsed.Header.Id);
        Assert.True(parsed.Header.RecursionDesired);
        Assert.True(parsed.Header.IsAuthenticData);
        Assert.False(parsed.Header.IsResponse);
        Assert.Equal(question, parsed.Questions[0]);
        Assert.NotNull(parsed.Opt);
        Assert.Equal(1232, parsed.Opt!.UdpPayloadSize);
    }

    [Fact]
    public void Query_ids_are_random()
    {
        var ids = new HashSet<ushort>();
        for (int i = 0; i < 200; i++)
        {
            ids.Add(QueryMessageBuilder.NewId());
        }

        Assert.True(ids.Count > 190);
    }

    [Fact]
    public void Extended_rcode_from_opt_is_combined()
    {
        var message = new DnsMessage
        {
            Header = new DnsHeader { IsResponse = true, ResponseCode = DnsResponseCode.NoError },
            Opt = new OptRecord(1232, extendedResponseCode: 1),
        };
        Assert.Equal(DnsResponseCode.BadVersion, DnsMessage.Parse(message.Encode()).Header.ResponseCode);
    }

    [Fact]
    public void Ttl_with_top_bit_set_reads_as_zero()
    {
        byte[] wire = new DnsMessage
        {
            Header = new DnsHeader { IsResponse = true },
            Answers = [new ARecord("a.example", -5, IPAddress.Loopback)],
        }.Encode();
        Assert.Equal(0, DnsMessage.Parse(wire).Answers[0].TimeToLive);
    }

    [Theory]
    [InlineData("self pointer")]
    [InlineData("forward pointer")]
    [InlineData("two pointer loop")]
    [InlineData("label past end")]
    [InlineData("extended label type")]
    [InlineData("rdlength past end")]
    [InlineData("A rdlength 5")]
    [InlineData("rdlength shorter than MX name")]
    [InlineData("name longer than 255")]
    [InlineData("huge counts")]
    [InlineData("truncated header")]
    [InlineData("txt string past rdata")]
    [InlineData("tlsa too short")]
    [InlineData("opt in answer")]
    public void Hostile_messages_raise_only_DnsResponseException(string kind)
    {
        byte[] wire = Hostile(kind);
        Assert.Throws<DnsResponseException>(() => DnsMessage.Parse(wire));
    }

    internal static byte[] Hostile(string kind)
    {
        var header = new List<byte> { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0 };
        switch (kind)
        {
            case "self pointer":
                return [.. header, 0xC0, 12, 0, 1, 0, 1];
            case "forward pointer":
                return [.. header, 0xC0, 18, 0, 1, 0, 1, 1, (byte)'a', 0];
            case "two pointer loop":
                // Name at 12: label "a" then pointer to 16; at 16 a pointer back to 12.
                return [.. header, 1, (byte)'a', 0xC0, 16, 0xC0, 12, 0, 1, 0, 1];
            case "label past end":
                return [.. header, 40, (byte)'a', (byte)'b'];
            case "extended label type":
                return [.. header, 0x41, 0, 0, 1, 0, 1];
            case "huge counts":
                return [0x12, 0x34, 0x81, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0];
            case "truncated header":
                return [0x12, 0x34, 0x81];
            case "name longer than 255":
            {
                var bytes = new List<byte>(header);
                for (int i = 0; i < 5; i++)
                {
                    bytes.Add(63);
                    bytes.AddRange(Enumerable.Repeat((byte)'x', 63));
                }

                bytes.AddRange(new byte[] { 0, 0, 1, 0, 1 });
                return [.. bytes];
            }
        }

        // Cases with one answer record after the question "a." A IN.
        header[7] = 1;
        var record = new List<byte>(header) { 1, (byte)'a', 0, 0, 1, 0, 1 };
        record.AddRange(new byte[] { 0xC0, 12 });
        switch (kind)
        {
            case "rdlength past end":
                record.AddRange(new byte[] { 0, 1, 0, 1, 0, 0, 0, 60, 0xFF, 0xF0, 127, 0, 0, 1 });
                break;
            case "A rdlength 5":
                record.AddRange(new byte[] { 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 127, 0, 0, 1, 9 });
                break;
            case "rdlength shorter than MX name":
                record.AddRange(new byte[] { 0, 15, 0, 1, 0, 0, 0, 60, 0, 3, 0, 10, 2, (byte)'m', (byte)'x', 0 });
                break;
            case "txt string past rdata":
                record.AddRange(new byte[] { 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 9, (byte)'a', (byte)'b', (byte)'c', (byte)'d' });
                break;
            case "tlsa too short":
                record.AddRange(new byte[] { 0, 52, 0, 1, 0, 0, 0, 60, 0, 2, 3, 1 });
                break;
            case "opt in answer":
                record[^2] = 0;
                record.RemoveAt(record.Count - 1);
                record.AddRange(new byte[] { 0, 41, 4, 208, 0, 0, 0, 0, 0, 0 });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }

        return [.. record];
    }

    [Fact]
    public void Reader_follows_backward_pointers_across_records()
    {
        byte[] wire = SampleResponse().Encode();
        ushort answerCount = BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(6));
        Assert.Equal(10, answerCount);
        DnsMessage parsed = DnsMessage.Parse(wire);
        Assert.Equal("mx2.example.net.", ((MxRecord)parsed.Answers[1]).Exchange);
        Assert.Equal("_25._tcp.mx1.example.net.", parsed.Answers[7].DomainName);
    }
}
