using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using NSec.Cryptography;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// The optional curator signature of a manifest (FORMAT.md §5.4): Ed25519 over the exact bytes of
/// manifest.json, stored beside it as <c>manifest.json.sig</c>, a JSON object carrying the public key
/// (SubjectPublicKeyInfo, base64) so that <c>openssl pkeyutl -verify -rawin</c> can check it by hand.
/// </summary>
public sealed class ManifestSignature
{
    [JsonPropertyName("algorithm")]
    public string Algorithm { get; set; } = "Ed25519";

    /// <summary>SHA-256 (hex) of the public key's SubjectPublicKeyInfo DER bytes.</summary>
    [JsonPropertyName("keyId")]
    public required string KeyId { get; set; }

    [JsonPropertyName("publicKey")]
    public required string PublicKey { get; set; }

    [JsonPropertyName("signature")]
    public required string Signature { get; set; }

    public static ManifestSignature Sign(byte[] manifestBytes, Key key)
    {
        byte[] spki = key.PublicKey.Export(KeyBlobFormat.PkixPublicKey);
        byte[] sig = SignatureAlgorithm.Ed25519.Sign(key, manifestBytes);
        return new ManifestSignature
        {
            KeyId = Convert.ToHexStringLower(SHA256.HashData(spki)),
            PublicKey = Convert.ToBase64String(spki),
            Signature = Convert.ToBase64String(sig),
        };
    }

    /// <summary>
    /// True when the signature is valid for <paramref name="manifestBytes"/> under the embedded key; false for a
    /// signature of another algorithm than format 1's one (FORMAT.md §5.4), which this reader cannot check.
    /// </summary>
    public bool Verify(byte[] manifestBytes)
    {
        if (Algorithm != "Ed25519")
        {
            return false;
        }

        try
        {
            byte[] spki = Convert.FromBase64String(PublicKey);
            if (Convert.ToHexStringLower(SHA256.HashData(spki)) != KeyId)
            {
                return false;
            }

            PublicKey pk = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, spki, KeyBlobFormat.PkixPublicKey);
            return SignatureAlgorithm.Ed25519.Verify(pk, manifestBytes, Convert.FromBase64String(Signature));
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>Curator signing keys as text: PKCS#8 PEM (private) and SPKI PEM (public), readable by openssl.</summary>
public static class SigningKeys
{
    public static (string PrivatePem, string PublicPem) Generate()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        string priv = Encoding.ASCII.GetString(key.Export(KeyBlobFormat.PkixPrivateKeyText));
        string pub = Encoding.ASCII.GetString(key.PublicKey.Export(KeyBlobFormat.PkixPublicKeyText));
        return (priv, pub);
    }

    /// <summary>
    /// The private key in <paramref name="pemText"/> (PKCS#8 PEM, as <c>key new</c> writes it);
    /// <paramref name="source"/> names where it came from in the error. Reading the file is the caller's
    /// (Storage's <c>SigningKeyFile</c>): Core does no file I/O.
    /// </summary>
    /// <exception cref="PreserveException">Not an Ed25519 private key (kind Usage).</exception>
    public static Key ImportPrivate(ReadOnlySpan<byte> pemText, string source)
    {
        if (Key.TryImport(SignatureAlgorithm.Ed25519, pemText, KeyBlobFormat.PkixPrivateKeyText, out Key? key))
        {
            return key!;
        }

        throw new PreserveException(FailureKind.Usage, $"{source}: not an Ed25519 private key in PEM form (make one with 'cvmpreserve key new').");
    }

    public static string KeyIdOfPublicPem(string pem)
    {
        PublicKey pk = PublicKey.Import(SignatureAlgorithm.Ed25519, Encoding.ASCII.GetBytes(pem), KeyBlobFormat.PkixPublicKeyText);
        return Convert.ToHexStringLower(SHA256.HashData(pk.Export(KeyBlobFormat.PkixPublicKey)));
    }
}
