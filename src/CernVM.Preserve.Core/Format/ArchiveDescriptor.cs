using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>The content of <c>archive.json</c> (FORMAT.md §3).</summary>
public sealed class ArchiveDescriptor
{
    [JsonPropertyName("format")]
    public int Format { get; set; } = ArchiveLayout.FormatVersion;

    [JsonPropertyName("formatName")]
    public string FormatName { get; set; } = "cernvm-preserve";

    [JsonPropertyName("id")]
    public required string Id { get; set; }

    [JsonPropertyName("created")]
    public required string Created { get; set; }

    [JsonPropertyName("hash")]
    public string Hash { get; set; } = "sha256";

    [JsonPropertyName("compression")]
    public string Compression { get; set; } = "zstd";

    [JsonPropertyName("chunking")]
    public ChunkingParameters Chunking { get; set; } = new();

    [JsonPropertyName("retention")]
    public RetentionDescriptor? Retention { get; set; }
}

/// <summary>How writers cut and group content (FORMAT.md §4.3). Readers do not need these numbers.</summary>
public sealed class ChunkingParameters
{
    [JsonPropertyName("algorithm")]
    public string Algorithm { get; set; } = "fastcdc-gear64-nc2";

    [JsonPropertyName("minSize")]
    public int MinSize { get; set; } = 256 * 1024;

    [JsonPropertyName("averageSize")]
    public int AverageSize { get; set; } = 1024 * 1024;

    [JsonPropertyName("maxSize")]
    public int MaxSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Files smaller than this are packed together into bundle blobs.</summary>
    [JsonPropertyName("bundleThreshold")]
    public int BundleThreshold { get; set; } = 256 * 1024;

    /// <summary>A bundle is closed once it holds this many bytes.</summary>
    [JsonPropertyName("bundleSize")]
    public int BundleSize { get; set; } = 4 * 1024 * 1024;
}

public sealed class RetentionDescriptor
{
    [JsonPropertyName("mode")]
    public required string Mode { get; set; }

    [JsonPropertyName("days")]
    public int Days { get; set; }
}
