using System.Text;
using Xunit;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Core.Tests.Format;

public class ManifestSignatureTests
{
    /// <summary>A fresh curator key, through its PEM text as a curator's key file holds it.</summary>
    private static NSec.Cryptography.Key NewKey()
    {
        (string priv, _) = SigningKeys.Generate();
        return SigningKeys.ImportPrivate(Encoding.ASCII.GetBytes(priv), "curator.key");
    }

    [Fact]
    public void Sign_ThenVerify_HoldsAndFailsOnAnyChange()
    {
        using NSec.Cryptography.Key key = NewKey();
        byte[] manifest = ManifestCodec.Encode(ManifestCodecTests.Sample());
        ManifestSignature sig = ManifestSignature.Sign(manifest, key);
        Assert.True(sig.Verify(manifest));
        manifest[10] ^= 1;
        Assert.False(sig.Verify(manifest));
    }

    [Fact]
    public void ImportPrivate_NotAKey_IsAUsageErrorNamingTheSource()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => SigningKeys.ImportPrivate("hello"u8, "/keys/curator.key"));
        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains("/keys/curator.key: not an Ed25519 private key", e.Message);
    }

    [Fact]
    public void Verify_KeyIdThatDoesNotMatchTheKey_Fails()
    {
        using NSec.Cryptography.Key key = NewKey();
        byte[] manifest = "{}"u8.ToArray();
        ManifestSignature sig = ManifestSignature.Sign(manifest, key);
        sig.KeyId = new string('0', 64);
        Assert.False(sig.Verify(manifest));
    }

    [Fact]
    public void Sign_NamesFormatOnesAlgorithm_InTheFileItWrites()
    {
        using NSec.Cryptography.Key key = NewKey();
        ManifestSignature sig = ManifestSignature.Sign("{}"u8.ToArray(), key);
        Assert.Equal("Ed25519", sig.Algorithm);
        using System.Text.Json.JsonDocument written = System.Text.Json.JsonDocument.Parse(CanonicalJson.Serialize(sig));
        Assert.Equal("Ed25519", written.RootElement.GetProperty("algorithm").GetString());
    }

    [Fact]
    public void Verify_AnotherAlgorithmNamed_Fails_EvenWhenTheBytesAreAnEd25519Signature()
    {
        using NSec.Cryptography.Key key = NewKey();
        byte[] manifest = "{}"u8.ToArray();
        ManifestSignature sig = ManifestSignature.Sign(manifest, key);
        sig.Algorithm = "RSA-PSS";
        Assert.False(sig.Verify(manifest));
    }
}
