using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using NSec.Cryptography;

namespace CernVM.Preserve.Storage;

/// <summary>A curator's signing key file (FORMAT.md §5.4), read for <see cref="Archive.CommitAsync"/> to sign with.</summary>
public static class SigningKeyFile
{
    /// <summary>Reads the Ed25519 private key at <paramref name="path"/> (PKCS#8 PEM, as <c>key new</c> writes it).</summary>
    /// <exception cref="PreserveException">The file cannot be read, or holds no Ed25519 private key (kind Usage); the message names the file.</exception>
    public static Key LoadPrivate(string path)
    {
        byte[] text;
        try
        {
            text = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PreserveException(FailureKind.Usage, $"{path}: cannot read the signing key ({e.Message}).", e);
        }

        return SigningKeys.ImportPrivate(text, path);
    }
}
