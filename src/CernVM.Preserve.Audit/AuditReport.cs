using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Audit;

/// <summary>A capsule version the audit found complete and whose manifest passed its checks.</summary>
/// <param name="RunEntries">Run entries the manifest declares (what <c>--functional</c> replays).</param>
public sealed record AuditedVersion(string Capsule, int Version, string ManifestSha256, string Created, long TreeBytes, bool Signed, string? KeyId, int RunEntries = 0);

/// <summary>What one audit found and what it covered.</summary>
/// <param name="Archive">The store's location.</param>
/// <param name="Started">When the audit began (FORMAT.md §1.4 form).</param>
/// <param name="Coverage">What was re-hashed (recorded in the audit's journal event, FORMAT.md §7.2).</param>
/// <param name="Versions">Versions whose manifests passed their checks.</param>
/// <param name="InterruptedVersions">Version directories without a sidecar.</param>
/// <param name="BlobsPresent">Blobs in the archive.</param>
/// <param name="BlobsNamed">Distinct blobs the audited manifests and catalogs name.</param>
/// <param name="FilesChecked">Files whose content hash was checked against the bytes.</param>
/// <param name="Journal">The journal and its chain, as read before this audit's own event.</param>
public sealed record AuditReport(
    string Archive,
    string Started,
    TimeSpan Duration,
    FixityCoverage Coverage,
    IReadOnlyList<AuditedVersion> Versions,
    int InterruptedVersions,
    long BlobsPresent,
    long BlobsNamed,
    long FilesChecked,
    IReadOnlyList<Finding> Findings,
    JournalCheck Journal)
{
    public int Errors => Findings.Count(f => f.IsError);

    public int Warnings => Findings.Count(f => !f.IsError);

    /// <summary>success, warning or failure, as the journal's outcome (FORMAT.md §7).</summary>
    public string Outcome => Errors > 0 ? "failure" : Warnings > 0 ? "warning" : "success";

    /// <summary>With <c>--functional</c>: each replayed version's verdict (FunctionalAudit); empty otherwise.</summary>
    public IReadOnlyList<FunctionalResult> Functional { get; init; } = [];
}
