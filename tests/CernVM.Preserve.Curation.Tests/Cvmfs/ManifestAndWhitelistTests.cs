using System.Text;
using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

public class ManifestAndWhitelistTests
{
    [Fact]
    public void Parse_EmscriptenSha1Manifest_ReadsEveryField()
    {
        CvmfsManifest manifest = CvmfsManifest.Parse(CvmfsRealData.Read("emscripten-cvmfspublished"));

        Assert.Equal("34ec515941acb52652ac2c448407caebca2bfe49", manifest.RootCatalog.ToString());
        Assert.Equal(ObjectSuffix.Catalog, manifest.RootCatalog.Suffix);
        Assert.Equal(18432, manifest.RootCatalogSize);
        Assert.Equal(CvmfsManifest.ExpectedRootPathHash, manifest.RootPathHash);
        Assert.Equal(240, manifest.CatalogTtl);
        Assert.Equal(10, manifest.Revision);
        Assert.False(manifest.GarbageCollectable);
        Assert.False(manifest.AlternativeNames);
        Assert.Equal("emscripten.cvmfs.io", manifest.RepositoryName);
        Assert.Equal("f03e97f4586869a417dadd56ff206c8ba9566284", manifest.Certificate?.ToString());
        Assert.Equal(ObjectSuffix.Certificate, manifest.Certificate?.Suffix);
        Assert.Equal("e615b5a83d3a20120199ba05afe4ffcbef07714a", manifest.History?.ToString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1525779612), manifest.PublishTime);
        Assert.Equal("decf358874358c4f313db997d36a3b8e3d62622e", manifest.MetaInfo?.ToString());
        Assert.Null(manifest.Reflog);
        Assert.Null(manifest.MicroCatalog);
        Assert.Empty(manifest.UnknownFields);
        Assert.Equal("92db4f64d030df3a32bb18233b4b933511c20d9c", manifest.PrintedHash);
        Assert.Equal(256, manifest.Signature.Length);
    }

    [Fact]
    public void VerifyHash_EmscriptenSha1Manifest_Matches()
    {
        CvmfsManifest manifest = CvmfsManifest.Parse(CvmfsRealData.Read("emscripten-cvmfspublished"));

        Assert.Equal(CvmfsHashAlgorithm.Sha1, manifest.VerifyHash().Algorithm);
    }

    [Fact]
    public void Parse_EmscriptenShake128Manifest_ReadsShake128HashesAndVerifiesHash()
    {
        CvmfsManifest manifest = CvmfsManifest.Parse(CvmfsRealData.Read("emscripten-cvmfspublished-shake128"));

        Assert.Equal("08b158e37829afbb15a0d8f78885b91941b16df2-shake128", manifest.RootCatalog.ToString());
        Assert.Equal(CvmfsHashAlgorithm.Shake128, manifest.RootCatalog.Algorithm);
        Assert.Equal(11, manifest.Revision);
        Assert.Equal(CvmfsHashAlgorithm.Shake128, manifest.Certificate?.Algorithm);
        Assert.Equal("c0bb8dd94b8b2ccdf7df816e6d1dfd2af07c3ea9-shake128", manifest.History?.ToString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1527227556), manifest.PublishTime);

        ContentHash verified = manifest.VerifyHash();

        Assert.Equal("984a2eb4ac636675caceec3df39e53012dffa6e4-shake128", verified.ToString());
    }

    [Fact]
    public void VerifyHash_ManifestWithChangedField_ThrowsBadHashNamingFile()
    {
        byte[] bytes = CvmfsRealData.Read("emscripten-cvmfspublished");
        int index = Encoding.ASCII.GetString(bytes).IndexOf("S10", StringComparison.Ordinal);
        bytes[index + 2] = (byte)'1';

        CvmfsIntegrityException ex = Assert.Throws<CvmfsIntegrityException>(() => CvmfsManifest.Parse(bytes).VerifyHash());

        Assert.Equal(CvmfsProblem.BadHash, ex.Problem);
        Assert.Contains(".cvmfspublished", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ManifestWithoutRootCatalog_ThrowsFormatException()
    {
        CvmfsFormatException ex = Assert.Throws<CvmfsFormatException>(() => CvmfsManifest.Parse("Rd41d8cd98f00b204e9800998ecf8427e\nD240\nS1\n"u8));

        Assert.Contains("'C'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmscriptenWhitelist_ReadsEveryFieldAndVerifiesHash()
    {
        CvmfsWhitelist whitelist = CvmfsWhitelist.Parse(CvmfsRealData.Read("emscripten-cvmfswhitelist"));

        Assert.Equal(new DateTimeOffset(2018, 4, 27, 12, 33, 11, TimeSpan.Zero), whitelist.CreatedAt);
        Assert.Equal(new DateTimeOffset(2018, 5, 27, 12, 33, 11, TimeSpan.Zero), whitelist.ExpiresAt);
        Assert.Equal("emscripten.cvmfs.io", whitelist.RepositoryName);
        Assert.False(whitelist.RequiresPkcs7);
        Assert.False(whitelist.RequiresCaChain);
        CertificateFingerprint fingerprint = Assert.Single(whitelist.Fingerprints);
        Assert.Equal("FC:97:54:1A:C3:9E:72:CA:C9:BF:D7:B2:7B:3C:F5:4C:3C:2A:35:B9", fingerprint.ToString());
        Assert.True(whitelist.IsExpired(DateTimeOffset.UtcNow));
        Assert.Equal("b04ddf54b894e03d7b6fe2ab9e26f0161229dc7d", whitelist.VerifyHash().ToString());
        Assert.Equal(256, whitelist.Signature.Length);
    }

    [Fact]
    public void Parse_EmscriptenShake128Whitelist_ReadsShake128FingerprintAndVerifiesHash()
    {
        CvmfsWhitelist whitelist = CvmfsWhitelist.Parse(CvmfsRealData.Read("emscripten-cvmfswhitelist-shake128"));

        CertificateFingerprint fingerprint = Assert.Single(whitelist.Fingerprints);
        Assert.Equal("2D:63:EA:98:49:9E:D1:04:1F:CA:83:59:C7:98:9D:C2:8C:17:1E:DF-SHAKE128", fingerprint.ToString());
        Assert.Equal(new DateTimeOffset(2018, 6, 29, 9, 26, 0, TimeSpan.Zero), whitelist.ExpiresAt);
        Assert.Equal("c6e2ed2dd9e768601f5621ebcc5b6b058a624282-shake128", whitelist.VerifyHash().ToString());
    }

    [Fact]
    public void Parse_WhitelistWithOptionsAndComments_ReadsFlags()
    {
        byte[] text = Encoding.ASCII.GetBytes("20180427123311\nE20180527123311\nNexample.org\nVpkcs7\nWcachain\nFC:97:54:1A:C3:9E:72:CA:C9:BF:D7:B2:7B:3C:F5:4C:3C:2A:35:B9 # release manager\n");

        CvmfsWhitelist whitelist = CvmfsWhitelist.Parse(text);

        Assert.True(whitelist.RequiresPkcs7);
        Assert.True(whitelist.RequiresCaChain);
        Assert.Single(whitelist.Fingerprints);
        Assert.Null(whitelist.PrintedHash);
    }
}
