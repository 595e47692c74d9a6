using FsCheck;
using FsCheck.Fluent;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Tests.Protocol;

/// <summary>Whatever bytes arrive, decoding ends quickly in a message or a DnsResponseException.</summary>
public class MalformedInputTests
{
    private static readonly byte[] Valid = DnsMessageTests.SampleResponse().Encode();

    private static bool ParsesOrRaisesDnsResponseException(byte[] data)
    {
        try
        {
            DnsMessage.Parse(data);
            return true;
        }
        catch (DnsResponseException)
        {
            return true;
        }
    }

    [Fact]
    public void Random_bytes()
    {
        var random = new Random(1035);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data = new byte[random.Next(0, 600)];
            random.NextBytes(data);
            if (data.Length > 12 && i % 2 == 0)
            {
                // Plausible counts make the decoder go further than the header.
                data[4] = 0;
                data[5] = 1;
                data[6] = 0;
                data[7] = (byte)random.Next(0, 4);
            }

            Assert.True(ParsesOrRaisesDnsResponseException(data));
        }
    }

    [Fact]
    public void Seeded_mutations_of_a_valid_response()
    {
        var random = new Random(2308);
        for (int i = 0; i < 30_000; i++)
        {
            byte[] data = (byte[])Valid.Clone();
            int flips = random.Next(1, 6);
            for (int f = 0; f < flips; f++)
            {
                int position = random.Next(data.Length);
                data[position] = random.Next(4) switch
                {
                    0 => (byte)random.Next(256),
                    1 => (byte)(0xC0 | random.Next(64)),
                    2 => (byte)(data[position] ^ (1 << random.Next(8))),
                    _ => 0xFF,
                };
            }

            if (random.Next(4) == 0)
            {
                data = data.AsSpan(0, random.Next(data.Length)).ToArray();
            }

            Assert.True(ParsesOrRaisesDnsResponseException(data));
        }
    }

    [Fact]
    public void Every_truncation_of_a_valid_response()
    {
        for (int length = 0; length < Valid.Length; length++)
        {
            byte[] prefix = Valid.AsSpan(0, length).ToArray();
            Assert.Throws<DnsResponseException>(() => DnsMessage.Parse(prefix));
        }
    }

    [Fact]
    public void FsCheck_arbitrary_byte_arrays()
    {
        Prop.ForAll<byte[]>(data => ParsesOrRaisesDnsResponseException(data ?? Array.Empty<byte>()))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(2_000));
    }

    [Fact]
    public void FsCheck_overwrites_of_a_valid_response()
    {
        Prop.ForAll<int, byte, int>((position, value, cut) =>
            {
                byte[] data = (byte[])Valid.Clone();
                data[(int)((uint)position % (uint)data.Length)] = value;
                int length = (int)((uint)cut % (uint)(data.Length + 1));
                return ParsesOrRaisesDnsResponseException(data.AsSpan(0, length).ToArray());
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(2_000));
    }
}
