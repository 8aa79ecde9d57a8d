using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>The curator's key file as <c>snapshot --sign KEY</c> reads it.</summary>
public class SigningKeyFileTests
{
    [Fact]
    public void LoadPrivate_KeyNewFile_SignsWhatItsPublicKeyVerifies()
    {
        string dir = Directory.CreateTempSubdirectory("cvmp-key-").FullName;
        try
        {
            (string priv, string pub) = SigningKeys.Generate();
            string path = Path.Combine(dir, "curator.key");
            File.WriteAllText(path, priv);
            using NSec.Cryptography.Key key = SigningKeyFile.LoadPrivate(path);
            ManifestSignature sig = ManifestSignature.Sign("{}\n"u8.ToArray(), key);
            Assert.True(sig.Verify("{}\n"u8.ToArray()));
            Assert.Equal(SigningKeys.KeyIdOfPublicPem(pub), sig.KeyId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LoadPrivate_MissingOrNotAKey_IsAUsageErrorNamingTheFile()
    {
        string dir = Directory.CreateTempSubdirectory("cvmp-key-").FullName;
        try
        {
            string missing = Path.Combine(dir, "absent.key");
            PreserveException m = Assert.Throws<PreserveException>(() => SigningKeyFile.LoadPrivate(missing));
            Assert.Equal(FailureKind.Usage, m.Kind);
            Assert.Contains($"{missing}: cannot read the signing key", m.Message);

            string text = Path.Combine(dir, "notes.txt");
            File.WriteAllText(text, "hello");
            PreserveException n = Assert.Throws<PreserveException>(() => SigningKeyFile.LoadPrivate(text));
            Assert.Equal(FailureKind.Usage, n.Kind);
            Assert.Contains($"{text}: not an Ed25519 private key", n.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
