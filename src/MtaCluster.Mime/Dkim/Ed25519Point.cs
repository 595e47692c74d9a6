using System.Numerics;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// A point of edwards25519 in extended coordinates (RFC 8032 §5.1.4: x = X/Z, y = Y/Z, x*y = T/Z).
/// Field arithmetic is BigInteger modulo p: a signature needs one fixed-base multiplication, which
/// the precomputed table turns into 64 additions (RFC 8032 §6 leaves the method open).
/// </summary>
internal readonly struct Ed25519Point
{
    public static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;

    /// <summary>The order of the base point (RFC 8032 §5.1).</summary>
    public static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");

    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger D2 = Mod(2 * D);

    public static readonly Ed25519Point Identity = new(0, 1, 1, 0);
    public static readonly Ed25519Point Base = FromY(Mod(4 * Inverse(5)));

    // Table[i][j] = j * 16^i * B: a 256-bit scalar read as 64 nibbles costs 64 additions and no doubling.
    private static readonly Lazy<Ed25519Point[][]> Table = new(BuildTable);

    private readonly BigInteger _x, _y, _z, _t;

    private Ed25519Point(BigInteger x, BigInteger y, BigInteger z, BigInteger t)
    {
        _x = x;
        _y = y;
        _z = z;
        _t = t;
    }

    /// <summary>[k]B for a little-endian scalar of 32 octets.</summary>
    public static Ed25519Point MultiplyBase(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != 32) throw new ArgumentException("A scalar is 32 octets.", nameof(scalar));
        var table = Table.Value;
        var sum = Identity;
        for (var i = 0; i < 64; i++)
        {
            var nibble = (scalar[i >> 1] >> ((i & 1) * 4)) & 0x0F;
            if (nibble != 0) sum = sum.Add(table[i][nibble]);
        }
        return sum;
    }

    /// <summary>The complete addition of RFC 8032 §5.1.4 (also right for doubling).</summary>
    public Ed25519Point Add(in Ed25519Point q)
    {
        var a = Mod((_y - _x) * (q._y - q._x));
        var b = Mod((_y + _x) * (q._y + q._x));
        var c = Mod(Mod(_t * D2) * q._t);
        var d = Mod(2 * _z * q._z);
        var e = b - a;
        var f = d - c;
        var g = d + c;
        var h = b + a;
        return new Ed25519Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    /// <summary>RFC 8032 §5.1.2: y little-endian, the low bit of x in the top bit.</summary>
    public void Encode(Span<byte> destination)
    {
        var zInverse = Inverse(_z);
        var x = Mod(_x * zInverse);
        var y = Mod(_y * zInverse);
        destination[..32].Clear();
        y.TryWriteBytes(destination, out _, isUnsigned: true, isBigEndian: false);
        if (!x.IsEven) destination[31] |= 0x80;
    }

    public static BigInteger Mod(BigInteger value)
    {
        var r = BigInteger.Remainder(value, P);
        return r.Sign < 0 ? r + P : r;
    }

    private static BigInteger Inverse(BigInteger value) => BigInteger.ModPow(Mod(value), P - 2, P);

    /// <summary>The point with this y and an even x (RFC 8032 §5.1.3, recovering x).</summary>
    private static Ed25519Point FromY(BigInteger y)
    {
        var x2 = Mod((y * y - 1) * Inverse(D * y * y + 1));
        var x = BigInteger.ModPow(x2, (P + 3) / 8, P);
        if (!Mod(x * x - x2).IsZero) x = Mod(x * BigInteger.ModPow(2, (P - 1) / 4, P));
        if (!x.IsEven) x = P - x;
        return new Ed25519Point(x, y, 1, Mod(x * y));
    }

    private static Ed25519Point[][] BuildTable()
    {
        var table = new Ed25519Point[64][];
        var step = Base;
        for (var i = 0; i < 64; i++)
        {
            var row = new Ed25519Point[16];
            row[0] = Identity;
            for (var j = 1; j < 16; j++) row[j] = row[j - 1].Add(step);
            table[i] = row;
            step = row[15].Add(step);
        }
        return table;
    }
}
