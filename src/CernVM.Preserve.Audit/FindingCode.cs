namespace CernVM.Preserve.Audit;

/// <summary>How much a finding weighs: an error makes the audit fail (exit 3); a warning is reported only.</summary>
public enum FindingSeverity
{
    Warning,
    Error,
}

/// <summary>
/// A stable finding code of the audit (FORMAT.md §11, docs/CLI.md): never reused for another meaning.
/// </summary>
/// <param name="Code">AUDnnn.</param>
/// <param name="Severity">Error or warning.</param>
/// <param name="Summary">What the code means, in one line, as the documents say it.</param>
public sealed record FindingCode(string Code, FindingSeverity Severity, string Summary)
{
    public override string ToString() => Code;
}

/// <summary>Every finding code the audit reports (FORMAT.md §11 lists the same, in the same words).</summary>
public static class FindingCodes
{
    public static readonly FindingCode DeclarationInvalid = new("AUD001", FindingSeverity.Error, "the declaration file does not hold the line of format 1");
    public static readonly FindingCode DescriptorInvalid = new("AUD002", FindingSeverity.Error, "archive.json is missing, not valid, or not of format 1 (hash sha256, compression zstd)");
    public static readonly FindingCode SelfDescriptionMissing = new("AUD003", FindingSeverity.Error, "FORMAT.md or a schema file of §2 is missing");
    public static readonly FindingCode VersionInterrupted = new("AUD010", FindingSeverity.Warning, "an interrupted version: a version directory without a sidecar (it does not exist, §5.1)");
    public static readonly FindingCode SidecarInvalid = new("AUD011", FindingSeverity.Error, "a sidecar that is not one sha256sum line for manifest.json");
    public static readonly FindingCode ManifestHashMismatch = new("AUD012", FindingSeverity.Error, "a manifest whose SHA-256 differs from its sidecar's");
    public static readonly FindingCode ManifestSchemaInvalid = new("AUD013", FindingSeverity.Error, "a manifest that is not JSON or fails its schema");
    public static readonly FindingCode ManifestMisplaced = new("AUD014", FindingSeverity.Error, "a manifest that names another capsule or version than its key");
    public static readonly FindingCode ManifestMissing = new("AUD015", FindingSeverity.Error, "a sidecar without its manifest");
    public static readonly FindingCode SignatureInvalid = new("AUD020", FindingSeverity.Error, "a signature file that is not valid or does not verify for its manifest");
    public static readonly FindingCode SignatureUntrusted = new("AUD021", FindingSeverity.Error, "a version signed by a key the auditor does not trust (--trust)");
    public static readonly FindingCode VersionUnsigned = new("AUD022", FindingSeverity.Warning, "a version without a signature while the auditor names trusted keys (--trust)");
    public static readonly FindingCode VersionChainBroken = new("AUD030", FindingSeverity.Error, "a manifest's previous names a version that does not exist or has another SHA-256");
    public static readonly FindingCode BlobMissing = new("AUD040", FindingSeverity.Error, "a blob that a manifest or tree catalog names is not in the archive");
    public static readonly FindingCode BlobCorrupt = new("AUD041", FindingSeverity.Error, "a blob that is not one zstd frame or whose content does not hash to its id");
    public static readonly FindingCode ContentMismatch = new("AUD042", FindingSeverity.Error, "a file whose content, reassembled from its extents, does not hash to the catalog's content");
    public static readonly FindingCode CatalogInvalid = new("AUD043", FindingSeverity.Error, "a tree catalog that is not a valid SQLite tree catalog of format 1");
    public static readonly FindingCode BlobOrphan = new("AUD050", FindingSeverity.Warning, "a blob that no manifest or tree catalog names");
    public static readonly FindingCode DphepIncomplete = new("AUD060", FindingSeverity.Error, "a capsule declares a DPHEP level that what it holds does not reach");
    public static readonly FindingCode RetentionMissing = new("AUD070", FindingSeverity.Error, "an object of an archive with Object Lock carries no retention");
    public static readonly FindingCode RetentionWrongMode = new("AUD071", FindingSeverity.Error, "an object's retention is not in the mode archive.json declares");
    public static readonly FindingCode RetentionExpiring = new("AUD072", FindingSeverity.Warning, "an object's retention ends within 30 days");
    public static readonly FindingCode EventInvalid = new("AUD080", FindingSeverity.Error, "a journal event that is not JSON or fails its schema");
    public static readonly FindingCode JournalLinkMissing = new("AUD081", FindingSeverity.Error, "a journal event names a previous event that is not in the journal (removed)");
    public static readonly FindingCode JournalLinkMismatch = new("AUD082", FindingSeverity.Error, "a journal event names a previous event whose SHA-256 differs (edited)");
    public static readonly FindingCode JournalFork = new("AUD083", FindingSeverity.Warning, "two journal events name the same previous event (writers raced, §7.1)");
    public static readonly FindingCode JournalUnchained = new("AUD084", FindingSeverity.Warning, "a journal event without a link after the chain began (written by an older writer)");
    public static readonly FindingCode VersionUnrecorded = new("AUD085", FindingSeverity.Warning, "a version that no ingestion event of the journal names (its snapshot ended between its commit and its event)");
    public static readonly FindingCode FunctionalDiffer = new("AUD090", FindingSeverity.Error, "a capsule's run entries, replayed (--functional), do not reproduce its reference outputs");
    public static readonly FindingCode FunctionalFailed = new("AUD091", FindingSeverity.Error, "a capsule's replay (--functional) reached no verdict: no carrier, a guest that panicked or hung, a reference unreadable");

    /// <summary>The codes only <c>--functional</c> reports: they come from a replay, not from reading the archive.</summary>
    public static IReadOnlyList<FindingCode> Functional { get; } = [FunctionalDiffer, FunctionalFailed];

    /// <summary>Every code, in code order.</summary>
    public static IReadOnlyList<FindingCode> All { get; } =
    [
        DeclarationInvalid, DescriptorInvalid, SelfDescriptionMissing,
        VersionInterrupted, SidecarInvalid, ManifestHashMismatch, ManifestSchemaInvalid, ManifestMisplaced, ManifestMissing,
        SignatureInvalid, SignatureUntrusted, VersionUnsigned,
        VersionChainBroken,
        BlobMissing, BlobCorrupt, ContentMismatch, CatalogInvalid,
        BlobOrphan,
        DphepIncomplete,
        RetentionMissing, RetentionWrongMode, RetentionExpiring,
        EventInvalid, JournalLinkMissing, JournalLinkMismatch, JournalFork, JournalUnchained, VersionUnrecorded,
        FunctionalDiffer, FunctionalFailed,
    ];
}
