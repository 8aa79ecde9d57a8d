namespace CernVM.Preserve.Core;

/// <summary>How much a reported code weighs.</summary>
public enum ReportSeverity
{
    /// <summary>Something to know: the operation succeeded, with this said about it.</summary>
    Warning,

    /// <summary>The operation did not do all it should have (a restore with an error exits non-zero).</summary>
    Error,
}

/// <summary>
/// A stable code of what a command reports about an entry or a component: capture warnings (<c>CAP…</c>,
/// recorded in manifests, FORMAT.md §5.2) and restore problems (<c>RST…</c>). A code is never renumbered or
/// reused. Every code is listed here with its meaning and severity; docs/CLI.md's tables ("Codes in reports")
/// say the same, which a test checks both ways.
/// </summary>
public sealed record ReportCode
{
    private ReportCode(string code, ReportSeverity severity, string meaning)
    {
        Code = code;
        Severity = severity;
        Meaning = meaning;
    }

    /// <summary>The code as written in manifests and reports: three letters and three digits.</summary>
    public string Code { get; }

    public ReportSeverity Severity { get; }

    /// <summary>What the code means, as docs/CLI.md states it.</summary>
    public string Meaning { get; }

    // Capture warnings (FORMAT.md §5.2): recorded in the manifest's warnings.
    public static ReportCode EntryUnreadable { get; } = new("CAP001", ReportSeverity.Warning, "entry unreadable, recorded without content");

    public static ReportCode FileChangedWhileRead { get; } = new("CAP002", ReportSeverity.Warning, "file changed while being read");

    public static ReportCode EntryVanished { get; } = new("CAP003", ReportSeverity.Warning, "entry vanished while walking");

    public static ReportCode XattrsUnreadable { get; } = new("CAP004", ReportSeverity.Warning, "extended attributes not readable");

    public static ReportCode LayerReplacesTree { get; } = new("CAP005", ReportSeverity.Warning, "a layer replaces what the OS tree held at its mount point");

    public static ReportCode MountPointDirectoryMade { get; } = new("CAP006", ReportSeverity.Warning, "a directory made to hold a layer's mount point");

    public static ReportCode NoPackageDatabase { get; } = new("CAP010", ReportSeverity.Warning, "no package database read");

    public static ReportCode PinDeviation { get; } = new("CAP011", ReportSeverity.Warning, "a package deviates from the metapackage pin");

    public static ReportCode PinnedPackageMissing { get; } = new("CAP012", ReportSeverity.Warning, "a pinned package is missing");

    public static ReportCode DistributionUnknown { get; } = new("CAP013", ReportSeverity.Warning, "the distribution is unknown (no release file)");

    public static ReportCode CvmfsRemark { get; } = new("CAP020", ReportSeverity.Warning, "a CernVM-FS verification remark");

    public static ReportCode BootDefaultUndecided { get; } = new("CAP030", ReportSeverity.Warning, "the bootloader's default entry cannot be decided statically (the first is taken)");

    public static ReportCode BootImageUnrecognised { get; } = new("CAP031", ReportSeverity.Warning, "a kernel or initrd not fully recognised");

    public static ReportCode BootFileMissing { get; } = new("CAP032", ReportSeverity.Warning, "a file the bootloader's default entry names is not in the tree");

    // Restore problems: in restore's report, not in the archive.
    public static ReportCode DeviceNotMade { get; } = new("RST002", ReportSeverity.Warning, "device node not made (not root)");

    public static ReportCode EntryNotRestored { get; } = new("RST003", ReportSeverity.Error, "an entry could not be created or its metadata set (the message has the system error)");

    public static ReportCode NotCapturedNotRestored { get; } = new("RST004", ReportSeverity.Warning, "entry not restored because it was excluded, pseudo or unreadable at capture");

    public static ReportCode HardLinkTargetMissing { get; } = new("RST005", ReportSeverity.Error, "hard link whose first name was not restored");

    public static ReportCode OwnersNotRestored { get; } = new("RST006", ReportSeverity.Warning, "owners not restored (not root)");

    public static ReportCode XattrNotRestored { get; } = new("RST007", ReportSeverity.Warning, "an extended attribute not restored");

    public static ReportCode UnreadableDirectoryRestoredEmpty { get; } = new("RST008", ReportSeverity.Warning, "a directory that was unreadable at capture, restored empty (what it held is not in the archive)");

    public static ReportCode LeftOutOnRequest { get; } = new("RST009", ReportSeverity.Warning, "left out as an option asked (--no-devices: device node not made; --no-setuid: setuid, setgid or file capability dropped; --no-owners: owners not set)");

    public static ReportCode BlobMissing { get; } = new("RST010", ReportSeverity.Error, "blob missing (the message names the blob and the affected paths)");

    public static ReportCode BlobCorrupt { get; } = new("RST011", ReportSeverity.Error, "blob corrupt (the message names the blob and the affected paths)");

    public static ReportCode ContentMismatch { get; } = new("RST012", ReportSeverity.Error, "content does not match its recorded SHA-256");

    /// <summary>Every code, in code order.</summary>
    public static IReadOnlyList<ReportCode> All { get; } =
    [
        EntryUnreadable, FileChangedWhileRead, EntryVanished, XattrsUnreadable, LayerReplacesTree, MountPointDirectoryMade,
        NoPackageDatabase, PinDeviation, PinnedPackageMissing, DistributionUnknown, CvmfsRemark,
        BootDefaultUndecided, BootImageUnrecognised, BootFileMissing,
        DeviceNotMade, EntryNotRestored, NotCapturedNotRestored, HardLinkTargetMissing, OwnersNotRestored, XattrNotRestored,
        UnreadableDirectoryRestoredEmpty, LeftOutOnRequest,
        BlobMissing, BlobCorrupt, ContentMismatch,
    ];

    /// <summary>True for the restore problems that mean the archive itself is damaged (restore exits 3, docs/CLI.md).</summary>
    public bool IsIntegrity => this == BlobMissing || this == BlobCorrupt || this == ContentMismatch;

    /// <summary>The code written <paramref name="code"/>, or null when this software does not know it (a later version wrote it).</summary>
    public static ReportCode? Find(string? code) => All.FirstOrDefault(c => c.Code == code);

    public override string ToString() => Code;
}
