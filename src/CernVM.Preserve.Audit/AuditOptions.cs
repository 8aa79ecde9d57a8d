namespace CernVM.Preserve.Audit;

/// <summary>How far an audit reads (FORMAT.md §7.2: scopes).</summary>
public enum FixityScope
{
    /// <summary>Presence only: every named blob exists; no blob is read.</summary>
    Shallow,

    /// <summary>A share of the blob-id space is re-hashed; successive sampled audits rotate through it.</summary>
    Sample,

    /// <summary>Every blob is decompressed and re-hashed, every file's content hash checked.</summary>
    Deep,
}

/// <summary>What an audit checks.</summary>
/// <param name="Capsule">Only this capsule (all versions, or one), or null for the whole archive.</param>
/// <param name="Version">Only this version of <paramref name="Capsule"/>.</param>
/// <param name="SamplePercent">With <see cref="FixityScope.Sample"/>: the share of the blob-id space, 0 &lt; p ≤ 100.</param>
/// <param name="TrustedKeyIds">keyIds (FORMAT.md §5.4) the auditor trusts; empty: trust is not judged.</param>
/// <param name="Parallelism">Blobs read at once.</param>
/// <param name="CatalogMemoryBudget">Bytes of decoded tree catalogs the audit reads where they lie in memory, at most;
/// the others are read from files in its temporary directory, so that memory stays flat as the archive grows.</param>
public sealed record AuditOptions(
    string? Capsule = null,
    int? Version = null,
    FixityScope Scope = FixityScope.Shallow,
    double SamplePercent = 0,
    IReadOnlySet<string>? TrustedKeyIds = null,
    int Parallelism = 0,
    long CatalogMemoryBudget = AuditOptions.DefaultCatalogMemoryBudget)
{
    /// <summary>64 MiB: the catalogs of a few large trees, or of hundreds like the Debian root's (2.5 MB).</summary>
    public const long DefaultCatalogMemoryBudget = 64L * 1024 * 1024;

    /// <summary>Two readers per core: one decodes while the other waits for its object.</summary>
    public int EffectiveParallelism => Parallelism > 0 ? Parallelism : 2 * Environment.ProcessorCount;
}
