using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// The JSON description of one capsule version (FORMAT.md §5, schema <c>catalog-schema/manifest.schema.json</c>).
/// Property order here is the canonical order of the serialised form.
/// </summary>
public sealed class Manifest
{
    [JsonPropertyName("format")]
    public int Format { get; set; } = ArchiveLayout.FormatVersion;

    [JsonPropertyName("capsule")]
    public required string Capsule { get; set; }

    [JsonPropertyName("version")]
    public int Version { get; set; }

    /// <summary>UTC time the snapshot was committed, ISO 8601 with 'Z'.</summary>
    [JsonPropertyName("created")]
    public required string Created { get; set; }

    [JsonPropertyName("previous")]
    public PreviousVersion? Previous { get; set; }

    [JsonPropertyName("producer")]
    public required Producer Producer { get; set; }

    [JsonPropertyName("title")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Title { get; set; }

    [JsonPropertyName("description")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Description { get; set; }

    [JsonPropertyName("tree")]
    public required TreeSummary Tree { get; set; }

    /// <summary>Environment components (curation, os, software, cvmfs, boot, run); FORMAT.md §5.3.</summary>
    [JsonPropertyName("components")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public EnvironmentComponents? Components { get; set; }

    [JsonPropertyName("warnings")]
    public List<CaptureWarning> Warnings { get; set; } = [];

    [JsonPropertyName("statistics")]
    public required SnapshotStatistics Statistics { get; set; }
}

/// <summary>The version this one follows, and the SHA-256 of its manifest file: versions form a hash chain.</summary>
public sealed record PreviousVersion(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("manifestSha256")] string ManifestSha256);

public sealed record Producer(
    [property: JsonPropertyName("software")] string Software,
    [property: JsonPropertyName("softwareVersion")] string SoftwareVersion,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("user")] string User);

/// <summary>The captured tree: its catalog blob and what it holds.</summary>
public sealed class TreeSummary
{
    /// <summary>Blob id of the SQLite tree catalog (FORMAT.md §6).</summary>
    [JsonPropertyName("catalog")]
    public required string Catalog { get; set; }

    [JsonPropertyName("catalogBytes")]
    public long CatalogBytes { get; set; }

    /// <summary>Where the tree was read from, as the curator named it.</summary>
    [JsonPropertyName("source")]
    public required string Source { get; set; }

    [JsonPropertyName("entries")]
    public long Entries { get; set; }

    [JsonPropertyName("directories")]
    public long Directories { get; set; }

    [JsonPropertyName("files")]
    public long Files { get; set; }

    [JsonPropertyName("symlinks")]
    public long Symlinks { get; set; }

    [JsonPropertyName("hardlinks")]
    public long Hardlinks { get; set; }

    [JsonPropertyName("specials")]
    public long Specials { get; set; }

    [JsonPropertyName("excluded")]
    public long Excluded { get; set; }

    [JsonPropertyName("pseudo")]
    public long Pseudo { get; set; }

    [JsonPropertyName("unreadable")]
    public long Unreadable { get; set; }

    /// <summary>Sum of regular file sizes (each inode once).</summary>
    [JsonPropertyName("bytes")]
    public long Bytes { get; set; }

    /// <summary>Distinct blobs the catalog refers to.</summary>
    [JsonPropertyName("blobs")]
    public long Blobs { get; set; }
}

/// <summary>Something the curator should know about the capture (FORMAT.md §5.2 lists the codes).</summary>
public sealed record CaptureWarning(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("message")] string Message)
{
    /// <summary>A warning of a known code (the manifest keeps its text, FORMAT.md §5.2).</summary>
    public static CaptureWarning For(ReportCode code, string? path, string message)
    {
        ArgumentNullException.ThrowIfNull(code);
        return new CaptureWarning(code.Code, path, message);
    }
}

/// <summary>What the snapshot that made this version did; informative only.</summary>
public sealed class SnapshotStatistics
{
    [JsonPropertyName("filesRead")]
    public long FilesRead { get; set; }

    [JsonPropertyName("filesUnchanged")]
    public long FilesUnchanged { get; set; }

    [JsonPropertyName("bytesRead")]
    public long BytesRead { get; set; }

    [JsonPropertyName("newBlobs")]
    public long NewBlobs { get; set; }

    [JsonPropertyName("newBytes")]
    public long NewBytes { get; set; }

    [JsonPropertyName("newCompressedBytes")]
    public long NewCompressedBytes { get; set; }

    [JsonPropertyName("durationSeconds")]
    public double DurationSeconds { get; set; }
}
