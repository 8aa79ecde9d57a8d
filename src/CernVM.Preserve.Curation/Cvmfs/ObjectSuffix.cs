namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// The one-character suffixes that cvmfs appends to an object name to say what the object is
/// (cvmfs/crypto/hash.h, <c>kSuffix*</c>). The suffix is part of the object path, not of the hash.
/// </summary>
public static class ObjectSuffix
{
    /// <summary>No suffix: regular file content.</summary>
    public const char None = '\0';

    /// <summary>A file catalog (zlib-compressed SQLite).</summary>
    public const char Catalog = 'C';

    /// <summary>The history (tag) database.</summary>
    public const char History = 'H';

    /// <summary>Micro-catalog; reserved, never written.</summary>
    public const char MicroCatalog = 'L';

    /// <summary>A file chunk ("partial").</summary>
    public const char Partial = 'P';

    /// <summary>Temporary object.</summary>
    public const char Temporary = 'T';

    /// <summary>The X.509 certificate of the repository key (zlib-compressed PEM).</summary>
    public const char Certificate = 'X';

    /// <summary>The repository meta-information JSON.</summary>
    public const char MetaInfo = 'M';

    /// <summary>Whether <paramref name="suffix"/> is one cvmfs knows.</summary>
    public static bool IsKnown(char suffix) =>
        suffix is None or Catalog or History or MicroCatalog or Partial or Temporary or Certificate or MetaInfo;
}
