using FsCheck;
using FsCheck.Fluent;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Tests.Protocol;

/// <summary>
/// Whatever bytes arrive, decoding ends quickly, in a message or a DnsResponseException: any other
/// exception escapes <see cref="Decode"/> and fails the test, and each test's decodes must finish
/// within <see cref="DecodeBudget"/>, which only a decoder that loops or blows up (a compression
/// pointer cycle, work quadratic in the input) can reach.
/// </summary>
public class MalformedInputTests
{
    private static readonly byte[] Valid = DnsMessageTests.SampleResponse().Encode();

    // Each test's decodes (tens of thousands of messages under 600 bytes) take well under a second
    // here; a hundredfold margin keeps a slow or busy machine far from it.
    private static readonly TimeSpan DecodeBudget = TimeSpan.FromSeconds(10);

    private enum Outcome { Parsed, Rejected }

    private static Outcome Decode(byte[] data)
    {
        try
        {
            DnsMessage.Parse(data);
            return Outcome.Parsed;
        }
        catch (DnsResponseException)
        {
            return Outcome.Rejected;
        }
    }

    private static Task<T> WithinDeadline<T>(Func<T> work) => Task.Run(work).WaitAsync(DecodeBudget);

    /// <summary>Decodes every input and counts the outcomes.</summary>
    private static Task<(int parsed, int rejected)> DecodeAll(Func<IEnumerable<byte[]>> inputs) => WithinDeadline(() =>
        {
            int parsed = 0, rejected = 0;
            foreach (byte[] data in inputs())
            {
                if (Decode(data) == Outcome.Parsed) parsed++;
                else rejected++;
            }
            return (parsed, rejected);
        });

    [Fact]
    public async Task Random_bytes()
    {
        var (parsed, rejected) = await DecodeAll(RandomBytes);
        Assert.Equal(20_000, parsed + rejected);
        Assert.True(rejected > 0);
    }

    private static IEnumerable<byte[]> RandomBytes()
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

            yield return data;
        }
    }

    [Fact]
    public async Task Seeded_mutations_of_a_valid_response()
    {
        // Both outcomes must occur, or the mutations never reached the decoder's record paths.
        var (parsed, rejected) = await DecodeAll(SeededMutations);
        Assert.True(parsed > 0, $"no mutation parsed ({rejected} rejected)");
        Assert.True(rejected > 0, $"no mutation was rejected ({parsed} parsed)");
    }

    private static IEnumerable<byte[]> SeededMutations()
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

            yield return data;
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
    public Task FsCheck_arbitrary_byte_arrays() => WithinDeadline(() =>
    {
        // The property is that Decode returns at all: any exception but DnsResponseException escapes and fails it.
        Prop.ForAll<byte[]>(data => Decode(data ?? Array.Empty<byte>()) is Outcome.Parsed or Outcome.Rejected)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(2_000));
        return true;
    });

    [Fact]
    public async Task A_compression_pointer_cycle_is_rejected()
    {
        // Header with one question whose name is a pointer to itself (offset 12), and one that points forward to a pointer back.
        byte[] self = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1];
        byte[] pair = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0xC0, 12, 0, 1, 0, 1];
        Assert.Equal(Outcome.Rejected, await WithinDeadline(() => Decode(self)));
        Assert.Equal(Outcome.Rejected, await WithinDeadline(() => Decode(pair)));
    }

    [Fact]
    public Task FsCheck_overwrites_of_a_valid_response() => WithinDeadline(() =>
    {
        Prop.ForAll<int, byte, int>((position, value, cut) =>
            {
                byte[] data = (byte[])Valid.Clone();
                data[(int)((uint)position % (uint)data.Length)] = value;
                int length = (int)((uint)cut % (uint)(data.Length + 1));
                return Decode(data.AsSpan(0, length).ToArray()) is Outcome.Parsed or Outcome.Rejected;
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(2_000));
        return true;
    });
}
