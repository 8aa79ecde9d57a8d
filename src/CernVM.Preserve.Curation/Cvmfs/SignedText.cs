using System.Text;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The common envelope of <c>.cvmfspublished</c> and <c>.cvmfswhitelist</c>: text lines, a line
/// <c>--</c>, the hex hash of every byte before that line, a newline, then the raw signature
/// (cvmfs/manifest.cc Load, cvmfs/whitelist.cc ParseWhitelist, crypto/signature.cc VerifyLetter).
/// </summary>
internal sealed class SignedText
{
    private SignedText(byte[] signedBytes, IReadOnlyList<string> lines, string? printedHash, byte[] signature)
    {
        SignedBytes = signedBytes;
        Lines = lines;
        PrintedHash = printedHash;
        Signature = signature;
    }

    /// <summary>The bytes the printed hash covers: everything before the <c>--</c> line, final newline included.</summary>
    public byte[] SignedBytes { get; }

    public IReadOnlyList<string> Lines { get; }

    /// <summary>The hash line after <c>--</c>, or null for an unsigned document.</summary>
    public string? PrintedHash { get; }

    public byte[] Signature { get; }

    public static SignedText Parse(ReadOnlySpan<byte> bytes, string subject)
    {
        int separator = FindSeparator(bytes);
        ReadOnlySpan<byte> body = separator < 0 ? bytes : bytes[..separator];
        string? printedHash = null;
        byte[] signature = [];
        if (separator >= 0)
        {
            ReadOnlySpan<byte> afterSeparator = bytes[(separator + 3)..];
            int newline = afterSeparator.IndexOf((byte)'\n');
            if (newline < 0)
            {
                printedHash = Encoding.ASCII.GetString(afterSeparator).Trim();
            }
            else
            {
                printedHash = Encoding.ASCII.GetString(afterSeparator[..newline]).Trim();
                signature = afterSeparator[(newline + 1)..].ToArray();
            }
        }

        var lines = new List<string>();
        foreach (string line in Encoding.UTF8.GetString(body).Split('\n'))
        {
            // Trimmed before the test: a line holding only '\r' is empty too (found by fuzzing: the readers
            // take a field's letter from the first character).
            string trimmed = line.TrimEnd('\r');
            if (trimmed.Length > 0)
            {
                lines.Add(trimmed);
            }
        }

        if (lines.Count == 0)
        {
            throw new CvmfsFormatException(subject, "the file has no content lines.");
        }

        return new SignedText(body.ToArray(), lines, printedHash, signature);
    }

    /// <summary>
    /// Recomputes the hash of <see cref="SignedBytes"/> with the algorithm the printed hash names and
    /// compares (cvmfs/manifest_fetch.cc DoVerify, whitelist.cc VerifyLoadedCertificate).
    /// </summary>
    public ContentHash VerifyHash(string subject)
    {
        if (PrintedHash is null)
        {
            throw new CvmfsIntegrityException(CvmfsProblem.BadSignature, subject, "the file is not signed (no '--' line).");
        }

        if (!ContentHash.TryParse(PrintedHash, ObjectSuffix.None, out ContentHash printed))
        {
            throw new CvmfsFormatException(subject, $"the hash line after '--' is not a cvmfs hash: '{PrintedHash}'.");
        }

        ContentHash actual = ContentHash.Compute(printed.Algorithm, SignedBytes);
        if (!actual.DigestEquals(printed))
        {
            throw new CvmfsIntegrityException(CvmfsProblem.BadHash, subject, $"the signed part hashes to {actual}, but the file says {printed}.");
        }

        return printed;
    }

    private static int FindSeparator(ReadOnlySpan<byte> bytes)
    {
        // The separator is a whole line "--"; only the first one counts, the signature is binary.
        ReadOnlySpan<byte> marker = "\n--\n"u8;
        if (bytes.StartsWith("--\n"u8))
        {
            return 0;
        }

        int index = bytes.IndexOf(marker);
        return index < 0 ? -1 : index + 1;
    }
}
