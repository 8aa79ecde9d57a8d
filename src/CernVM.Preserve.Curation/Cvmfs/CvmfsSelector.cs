namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>How a revision is chosen.</summary>
public enum CvmfsSelectorKind
{
    /// <summary>The revision named by the current manifest.</summary>
    Current,

    /// <summary>A root catalog hash (like <c>CVMFS_ROOT_HASH</c>).</summary>
    RootHash,

    /// <summary>A tag name in the history database (like <c>CVMFS_REPOSITORY_TAG</c>).</summary>
    Tag,

    /// <summary>A revision number, found through tags or the <c>previous_revision</c> chain.</summary>
    Revision,
}

/// <summary>Which revision of a repository to open (docs/CVMFS.md §6; cvmfs/mountpoint.cc).</summary>
public readonly record struct CvmfsSelector
{
    private CvmfsSelector(CvmfsSelectorKind kind, ContentHash rootHash, string? tag, long revision)
    {
        Kind = kind;
        RootHashValue = rootHash;
        TagName = tag;
        RevisionNumber = revision;
    }

    public CvmfsSelectorKind Kind { get; }

    /// <summary>The root catalog for <see cref="CvmfsSelectorKind.RootHash"/>.</summary>
    public ContentHash RootHashValue { get; }

    /// <summary>The tag for <see cref="CvmfsSelectorKind.Tag"/>.</summary>
    public string? TagName { get; }

    /// <summary>The number for <see cref="CvmfsSelectorKind.Revision"/>.</summary>
    public long RevisionNumber { get; }

    /// <summary>The current manifest's revision.</summary>
    public static CvmfsSelector Current => default;

    /// <summary>A fixed root catalog; the suffix is forced to C.</summary>
    public static CvmfsSelector ForRootHash(ContentHash rootCatalog) =>
        new(CvmfsSelectorKind.RootHash, rootCatalog.WithSuffix(ObjectSuffix.Catalog), null, 0);

    /// <summary>A named snapshot.</summary>
    public static CvmfsSelector ForTag(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(CvmfsSelectorKind.Tag, default, name, 0);
    }

    /// <summary>A revision number.</summary>
    public static CvmfsSelector ForRevision(long revision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        return new(CvmfsSelectorKind.Revision, default, null, revision);
    }

    public override string ToString() => Kind switch
    {
        CvmfsSelectorKind.RootHash => $"root hash {RootHashValue}",
        CvmfsSelectorKind.Tag => $"tag '{TagName}'",
        CvmfsSelectorKind.Revision => $"revision {RevisionNumber}",
        _ => "current revision",
    };
}
