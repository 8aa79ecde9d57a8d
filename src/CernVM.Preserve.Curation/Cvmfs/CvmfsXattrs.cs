namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The serialized extended attributes of the catalog <c>xattr</c> column (cvmfs/xattr.h, xattr.cc
/// Serialize/Deserialize): u8 version (1), u8 count, then per entry u8 name length, u8 value length,
/// name bytes, value bytes. (The documentation says 8-byte fields; the code uses 8-bit ones.)
/// </summary>
public static class CvmfsXattrs
{
    /// <summary>Decodes an <c>xattr</c> blob into name → value pairs in stored order.</summary>
    /// <exception cref="CvmfsFormatException">The blob is truncated or has an unknown version.</exception>
    public static IReadOnlyList<KeyValuePair<string, byte[]>> Decode(ReadOnlySpan<byte> blob, string subject)
    {
        if (blob.IsEmpty)
        {
            return [];
        }

        if (blob.Length < 2 || blob[0] != 1)
        {
            throw new CvmfsFormatException(subject, $"xattr blob has unknown version {(blob.Length > 0 ? blob[0] : -1)} or is truncated.");
        }

        int count = blob[1];
        var result = new List<KeyValuePair<string, byte[]>>(count);
        int position = 2;
        for (int i = 0; i < count; i++)
        {
            if (position + 2 > blob.Length)
            {
                throw new CvmfsFormatException(subject, $"xattr blob is truncated in entry {i}.");
            }

            int nameLength = blob[position];
            int valueLength = blob[position + 1];
            position += 2;
            if (position + nameLength + valueLength > blob.Length)
            {
                throw new CvmfsFormatException(subject, $"xattr blob is truncated in entry {i}.");
            }

            string name = System.Text.Encoding.UTF8.GetString(blob.Slice(position, nameLength));
            byte[] value = blob.Slice(position + nameLength, valueLength).ToArray();
            position += nameLength + valueLength;
            result.Add(new KeyValuePair<string, byte[]>(name, value));
        }

        return result;
    }
}
