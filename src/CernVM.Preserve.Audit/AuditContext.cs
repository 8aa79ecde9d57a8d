using System.Collections.Concurrent;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Audit;

/// <summary>
/// What the parts of one audit share: the store and the options, the findings so far, the versions found, the blobs
/// present and named, and the counts of what was checked. Parts run one after another; within a part, workers
/// add findings and counts concurrently (hence the concurrent collections and the counters as fields for Interlocked).
/// </summary>
internal sealed class AuditContext(IObjectStore store, AuditOptions options)
{
    /// <summary>How an affected path names a version's tree catalog itself.</summary>
    public const string CatalogPath = "(tree catalog)";

    public long BlobsChecked;
    public long BytesChecked;
    public long FilesChecked;
    public int Interrupted;

    public IObjectStore Store { get; } = store;

    public AuditOptions Options { get; } = options;

    public ConcurrentBag<Finding> Findings { get; } = [];

    public List<VersionState> Versions { get; } = [];

    public HashSet<BlobId> Present { get; } = [];

    public HashSet<BlobId> Named { get; } = [];

    public ConcurrentDictionary<BlobId, byte> Corrupt { get; } = new();

    /// <summary>Which versions' catalogs name each blob, once the catalogs are opened (<see cref="CompletenessCheck.CollectNamedBlobs"/>).</summary>
    public BlobUsers? BlobUsers { get; set; }

    /// <summary>Files whose content hash was checked once (content, blob and place): another version naming the same is not hashed again.</summary>
    public ConcurrentDictionary<string, byte> FilesVerified { get; } = new(StringComparer.Ordinal);

    /// <summary>Only one capsule is audited: orphans are not judged, retention is read for its objects only.</summary>
    public bool Filtered => Options.Capsule is not null;

    // Every version and path a blob's loss touches: as catalog, as a manifest member, as file content.
    public IReadOnlyList<AffectedVersion> Affected(BlobId id)
    {
        string hex = id.ToString();
        var affected = new List<AffectedVersion>();
        foreach (VersionState v in Versions.Where(v => v.Facts is not null))
        {
            var paths = new List<string>();
            if (v.Facts!.Catalog == hex)
            {
                paths.Add(CatalogPath);
            }

            paths.AddRange(v.Facts.NamedBlobs.Where(n => n.Blob == hex).Select(n => "manifest:" + n.Pointer));
            if (v.Catalog is not null)
            {
                paths.AddRange(v.Catalog.PathsUsing(hex));
            }

            if (paths.Count > 0)
            {
                affected.Add(new AffectedVersion(v.Capsule, v.Version, paths));
            }
        }

        return affected;
    }

    public static string Describe(IReadOnlyList<AffectedVersion> affected) =>
        affected.Count == 0 ? "no audited version" : string.Join(", ", affected.Select(a => $"{a} ({a.Paths.Count} paths)"));
}

/// <summary>Which files of a version directory the listing saw.</summary>
internal readonly record struct VersionKeys(bool Manifest, bool Sidecar, bool Signature);

/// <summary>The retention archive.json declares (FORMAT.md §3, §8.1).</summary>
internal sealed record RetentionDeclaration(string Mode, int Days);

/// <summary>One version as the audit learns it: its keys, then its manifest's facts and signer, then its opened catalog.</summary>
internal sealed class VersionState(string capsule, int version, bool hasSignature)
{
    public string Capsule { get; } = capsule;

    public int Version { get; } = version;

    public bool HasSignature { get; } = hasSignature;

    public string Prefix => $"capsules/{Capsule}/v{Version}/";

    public string? Sha256 { get; set; }

    public ManifestFacts? Facts { get; set; }

    public string? KeyId { get; set; }

    public CatalogDatabase? Catalog { get; set; }
}
