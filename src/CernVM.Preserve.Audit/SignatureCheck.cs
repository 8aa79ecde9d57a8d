using System.Security.Cryptography;
using System.Text.Json;
using NSec.Cryptography;

namespace CernVM.Preserve.Audit;

/// <summary>The audit's own check of a curator signature (FORMAT.md §5.4).</summary>
public static class SignatureCheck
{
    /// <summary>Verifies <paramref name="signatureFile"/> over <paramref name="manifest"/>.</summary>
    /// <returns>The keyId of the signing key, or null with the reason.</returns>
    public static string? Verify(byte[] signatureFile, byte[] manifest, out string? problem)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(signatureFile);
            JsonElement root = doc.RootElement;
            if (root.GetProperty("algorithm").GetString() != "Ed25519")
            {
                problem = "the algorithm is not Ed25519";
                return null;
            }

            string keyId = root.GetProperty("keyId").GetString()!;
            byte[] spki = Convert.FromBase64String(root.GetProperty("publicKey").GetString()!);
            if (Convert.ToHexStringLower(SHA256.HashData(spki)) != keyId)
            {
                problem = "keyId is not the SHA-256 of the public key it carries";
                return null;
            }

            PublicKey key = PublicKey.Import(SignatureAlgorithm.Ed25519, spki, KeyBlobFormat.PkixPublicKey);
            if (!SignatureAlgorithm.Ed25519.Verify(key, manifest, Convert.FromBase64String(root.GetProperty("signature").GetString()!)))
            {
                problem = "the Ed25519 signature does not verify for this manifest";
                return null;
            }

            problem = null;
            return keyId;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
        {
            problem = $"not a signature file of §5.4 ({e.Message})";
            return null;
        }
    }

    /// <summary>The keyId (FORMAT.md §5.4) of an Ed25519 public key in SPKI PEM form (a curator's KEY.pub).</summary>
    /// <exception cref="FormatException">The text is not such a key.</exception>
    public static string KeyIdOfPublicPem(string pem)
    {
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, System.Text.Encoding.ASCII.GetBytes(pem), KeyBlobFormat.PkixPublicKeyText, out PublicKey? key))
        {
            throw new FormatException("not an Ed25519 public key in PEM form");
        }

        return Convert.ToHexStringLower(SHA256.HashData(key!.Export(KeyBlobFormat.PkixPublicKey)));
    }
}
