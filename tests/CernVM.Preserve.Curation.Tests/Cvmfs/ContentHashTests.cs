using System.Text;
using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

public class ContentHashTests
{
    [Theory]
    [InlineData("34ec515941acb52652ac2c448407caebca2bfe49", CvmfsHashAlgorithm.Sha1)]
    [InlineData("08b158e37829afbb15a0d8f78885b91941b16df2-shake128", CvmfsHashAlgorithm.Shake128)]
    [InlineData("9c1185a5c5e9fc54612808977ee8f548b2258d31-rmd160", CvmfsHashAlgorithm.Ripemd160)]
    [InlineData("d41d8cd98f00b204e9800998ecf8427e", CvmfsHashAlgorithm.Md5)]
    public void Parse_CvmfsNotation_RoundTrips(string text, CvmfsHashAlgorithm algorithm)
    {
        ContentHash hash = ContentHash.Parse(text);

        Assert.Equal(algorithm, hash.Algorithm);
        Assert.Equal(text, hash.ToString());
    }

    [Fact]
    public void ObjectPath_CatalogWithShake128_HasAlgorithmIdThenSuffix()
    {
        ContentHash hash = ContentHash.Parse("08b158e37829afbb15a0d8f78885b91941b16df2-shake128", ObjectSuffix.Catalog);

        Assert.Equal("data/08/b158e37829afbb15a0d8f78885b91941b16df2-shake128C", hash.ObjectPath);
        Assert.Equal("08b158e37829afbb15a0d8f78885b91941b16df2-shake128C", hash.ObjectName);
    }

    [Fact]
    public void ObjectPath_PlainFile_HasNoSuffix()
    {
        ContentHash hash = ContentHash.Parse("e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78");

        Assert.Equal("data/e8/ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78", hash.ObjectPath);
    }

    [Fact]
    public void ParseObjectName_WithSuffix_SeparatesSuffix()
    {
        ContentHash hash = ContentHash.ParseObjectName("bd46e502db6e41c972be183eb2bbac2110515e1fX");

        Assert.Equal(ObjectSuffix.Certificate, hash.Suffix);
        Assert.Equal("bd46e502db6e41c972be183eb2bbac2110515e1f", hash.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("xyz")]
    [InlineData("34ec515941acb52652ac2c448407caebca2bfe4")]
    [InlineData("34ec515941acb52652ac2c448407caebca2bfe49-sha256")]
    [InlineData("zzec515941acb52652ac2c448407caebca2bfe49")]
    public void TryParse_Invalid_ReturnsFalse(string text)
    {
        Assert.False(ContentHash.TryParse(text, ObjectSuffix.None, out _));
        Assert.Throws<FormatException>(() => ContentHash.Parse(text));
    }

    [Fact]
    public void Compute_Shake128_Gives160Bits()
    {
        Assert.True(System.Security.Cryptography.Shake128.IsSupported, "SHAKE-128 must be available (OpenSSL 3).");

        ContentHash hash = ContentHash.Compute(CvmfsHashAlgorithm.Shake128, Encoding.ASCII.GetBytes(""));

        // SHAKE128("") first 20 bytes, FIPS 202 reference output.
        Assert.Equal("7f9c2ba4e88f827d616045507605853ed73b8093-shake128", hash.ToString());
    }

    [Fact]
    public void Equals_DifferentSuffix_NotEqualButDigestEqual()
    {
        ContentHash plain = ContentHash.Parse("e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78");
        ContentHash chunk = plain.WithSuffix(ObjectSuffix.Partial);

        Assert.NotEqual(plain, chunk);
        Assert.True(plain.DigestEquals(chunk));
    }

    [Fact]
    public void CertificateFingerprint_Parse_RoundTripsWithAlgorithmSuffix()
    {
        const string text = "2D:63:EA:98:49:9E:D1:04:1F:CA:83:59:C7:98:9D:C2:8C:17:1E:DF-SHAKE128";

        CertificateFingerprint fingerprint = CertificateFingerprint.Parse(text);

        Assert.Equal(CvmfsHashAlgorithm.Shake128, fingerprint.Hash.Algorithm);
        Assert.Equal(text, fingerprint.ToString());
    }
}

public class Ripemd160Tests
{
    // The test vectors of the RIPEMD-160 specification (Dobbertin, Bosselaers, Preneel; homes.esat.kuleuven.be/~bosselae/ripemd160.html).
    [Theory]
    [InlineData("", "9c1185a5c5e9fc54612808977ee8f548b2258d31")]
    [InlineData("a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe")]
    [InlineData("abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc")]
    [InlineData("message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "12a053384a9c0c88e405a06c27dcf49ada62eb2b")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "b0e20b6e3116640286ed3a87a5713079b21f5189")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "9b752e45573d4b39f4dbd3323cab82bf63326bfb")]
    public void HashData_OfficialVector_Matches(string message, string expected)
    {
        Assert.Equal(expected, Convert.ToHexStringLower(Ripemd160.HashData(Encoding.ASCII.GetBytes(message))));
    }

    [Fact]
    public void HashData_MillionA_Matches()
    {
        byte[] message = new byte[1_000_000];
        Array.Fill(message, (byte)'a');

        Assert.Equal("52783243c1697bdbe16d37f97f68f08325dc1528", Convert.ToHexStringLower(Ripemd160.HashData(message)));
    }

    [Fact]
    public void Compute_Ripemd160_PrintsRmd160Id()
    {
        ContentHash hash = ContentHash.Compute(CvmfsHashAlgorithm.Ripemd160, Encoding.ASCII.GetBytes("abc"), ObjectSuffix.Catalog);

        Assert.Equal("8eb208f7e05d987a9b044a8e98c6b087f15a0bfc-rmd160", hash.ToString());
        Assert.Equal("data/8e/b208f7e05d987a9b044a8e98c6b087f15a0bfc-rmd160C", hash.ObjectPath);
    }
}

public class Md5PathTests
{
    [Fact]
    public void FromPath_Root_MatchesVerifiedVector()
    {
        Md5Path key = Md5Path.FromPath(string.Empty);

        Assert.Equal(338333539836370388L, key.Part1);
        Assert.Equal(unchecked((long)9098107892288553193UL), key.Part2);
        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", key.ToString());
    }

    [Fact]
    public void FromPath_NestedMountpoint_MatchesGuineaPigCatalogRow()
    {
        // md5path of /dir5/ndir5 as stored in guinea_pig_repo_20 revision 3.
        Assert.Equal(new Md5Path(1425353590784088659L, 6004860030252610705L), Md5Path.FromPath("/dir5/ndir5"));
    }

    [Fact]
    public void Parse_ToString_RoundTrips()
    {
        Md5Path key = Md5Path.FromPath("/dir1");

        Assert.Equal(key, Md5Path.Parse(key.ToString()));
        Assert.False(Md5Path.TryParse("nothex", out _));
    }
}

public class CvmfsXattrsTests
{
    [Fact]
    public void Decode_TwoEntries_ReturnsPairsInOrder()
    {
        byte[] blob = [1, 2, 3, 2, (byte)'a', (byte)'.', (byte)'b', 0x10, 0x20, 1, 0, (byte)'c'];

        IReadOnlyList<KeyValuePair<string, byte[]>> pairs = CvmfsXattrs.Decode(blob, "test");

        Assert.Equal(2, pairs.Count);
        Assert.Equal("a.b", pairs[0].Key);
        Assert.Equal(new byte[] { 0x10, 0x20 }, pairs[0].Value);
        Assert.Equal("c", pairs[1].Key);
        Assert.Empty(pairs[1].Value);
    }

    [Fact]
    public void Decode_Truncated_ThrowsFormatException()
    {
        Assert.Throws<CvmfsFormatException>(() => CvmfsXattrs.Decode([1, 1, 5, 5, (byte)'a'], "test"));
    }
}
