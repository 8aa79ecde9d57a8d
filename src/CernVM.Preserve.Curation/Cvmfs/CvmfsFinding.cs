namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>Stable codes of defects found in a repository; never renumbered or reused.</summary>
public enum CvmfsFindingCode
{
    /// <summary>A directory is flagged as nested-catalog mount point but its catalog lists no nested catalog there.</summary>
    DanglingMountpoint = 1,

    /// <summary>The mount point in the parent catalog and the root entry of the nested catalog differ.</summary>
    MountpointOutOfSync = 2,

    /// <summary>The parent catalog holds entries below a mount point; the nested catalog hides them.</summary>
    NonEmptyMountpoint = 3,

    /// <summary>The nested catalog has no root entry for its mount path, or it is not flagged as nested root.</summary>
    NestedRootMissing = 4,

    /// <summary>The nested catalog's <c>root_prefix</c> is not the path it is mounted at.</summary>
    NestedPrefixMismatch = 5,

    /// <summary>The size recorded for a nested catalog differs from the inflated object.</summary>
    NestedSizeMismatch = 6,

    /// <summary>A <c>nested_catalogs</c> row has no mount point entry in the catalog.</summary>
    NestedReferenceWithoutMountpoint = 7,

    /// <summary>An object the revision needs is missing.</summary>
    MissingObject = 8,

    /// <summary>An object does not hash to its name.</summary>
    BadHash = 9,

    /// <summary>A file's content does not have the size the catalog records.</summary>
    ContentSizeMismatch = 10,

    /// <summary>An object could not be decoded (bad zlib stream, not SQLite, bad rows).</summary>
    Malformed = 11,
}

/// <summary>A defect found in a repository revision.</summary>
/// <param name="Code">The stable code.</param>
/// <param name="Subject">The repository path or object name (hash + suffix) concerned.</param>
/// <param name="Message">What is wrong, for people.</param>
public sealed record CvmfsFinding(CvmfsFindingCode Code, string Subject, string Message)
{
    public override string ToString() => $"{Code}: {Subject}: {Message}";
}

/// <summary>The outcome of verifying a repository's signed artefacts (manifest, certificate, whitelist).</summary>
/// <param name="RepositoryName">The fully qualified repository name.</param>
/// <param name="Revision">The revision the signed manifest names.</param>
/// <param name="RootCatalog">The root catalog the signed manifest names.</param>
/// <param name="PublishTime">When the manifest was published, if recorded.</param>
/// <param name="CertificateFingerprint">Fingerprint of the certificate that signed the manifest.</param>
/// <param name="WhitelistExpiry">When the whitelist expires(d).</param>
/// <param name="Warnings">Conditions that do not invalidate an archived revision, e.g. an expired whitelist.</param>
public sealed record RepositoryVerification(
    string RepositoryName,
    long Revision,
    ContentHash RootCatalog,
    DateTimeOffset? PublishTime,
    CertificateFingerprint CertificateFingerprint,
    DateTimeOffset WhitelistExpiry,
    IReadOnlyList<string> Warnings);
