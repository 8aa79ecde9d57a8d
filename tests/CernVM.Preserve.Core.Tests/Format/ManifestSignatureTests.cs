using Xunit;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Core.Tests.Format;

public class ManifestSignatureTests
{
    [Fact]
    public void Sign_ThenVerify_HoldsAndFailsOnAnyChange()
    {
        (string priv, _) = SigningKeys.Generate();
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, priv);
            using NSec.Cryptography.Key key = SigningKeys.LoadPrivate(path);
            byte[] manifest = ManifestCodec.Encode(ManifestCodecTests.Sample());
            ManifestSignature sig = ManifestSignature.Sign(manifest, key);
            Assert.True(sig.Verify(manifest));
            manifest[10] ^= 1;
            Assert.False(sig.Verify(manifest));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadPrivate_NotAKey_IsAUsageError()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "hello");
            PreserveException e = Assert.Throws<PreserveException>(() => SigningKeys.LoadPrivate(path));
            Assert.Equal(FailureKind.Usage, e.Kind);
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Verify_KeyIdThatDoesNotMatchTheKey_Fails()
    {
        (string priv, _) = SigningKeys.Generate();
        string path = Path.GetTempFileName();
        File.WriteAllText(path, priv);
        using NSec.Cryptography.Key key = SigningKeys.LoadPrivate(path);
        File.Delete(path);
        byte[] manifest = "{}"u8.ToArray();
        ManifestSignature sig = ManifestSignature.Sign(manifest, key);
        sig.KeyId = new string('0', 64);
        Assert.False(sig.Verify(manifest));
    }
}
