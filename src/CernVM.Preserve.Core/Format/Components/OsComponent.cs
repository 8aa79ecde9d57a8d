using System.Text.Json;
using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// The operating system of the captured tree (FORMAT.md §5.3 <c>os</c>): its identity as the tree's release
/// files state it, its installed-package database and the metapackage pin, and the container image it came
/// from. Members written as null when unknown stay in the serialised form; the nested objects are left out
/// when there is nothing to say.
/// </summary>
public sealed record OsComponent
{
    /// <summary>The root file system as the spec named it.</summary>
    [JsonPropertyName("rootfs")]
    public required string Rootfs { get; init; }

    [JsonPropertyName("distribution")]
    public string? Distribution { get; init; }

    [JsonPropertyName("version")]
    public string? Version { get; init; }

    [JsonPropertyName("codename")]
    public string? Codename { get; init; }

    /// <summary>The release line as the tree states it ("Scientific Linux SL release 4.7 (Beryllium)").</summary>
    [JsonPropertyName("release")]
    public string? Release { get; init; }

    [JsonPropertyName("releaseFile")]
    public string? ReleaseFile { get; init; }

    [JsonPropertyName("osRelease")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OsReleaseFields? OsRelease { get; init; }

    /// <summary>From the ELF header of /bin/sh, else busybox or /sbin/init.</summary>
    [JsonPropertyName("architecture")]
    public string? Architecture { get; init; }

    /// <summary>Every file the identity was read from.</summary>
    [JsonPropertyName("identityFrom")]
    public IReadOnlyList<string> IdentityFrom { get; init; } = [];

    [JsonPropertyName("packages")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PackagesComponent? Packages { get; init; }

    [JsonPropertyName("pin")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PinComponent? Pin { get; init; }

    [JsonPropertyName("image")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ContainerImageComponent? Image { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>The fields of <c>etc/os-release</c> the manifest keeps.</summary>
public sealed record OsReleaseFields
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("versionId")]
    public string? VersionId { get; init; }

    [JsonPropertyName("prettyName")]
    public string? PrettyName { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>The installed-package database: where it is, and the blob holding the full list (<see cref="PackageListEntry"/>).</summary>
public sealed record PackagesComponent
{
    /// <summary><c>rpm-bdb</c>, <c>rpm-sqlite</c> or <c>dpkg</c>.</summary>
    [JsonPropertyName("format")]
    public required string Format { get; init; }

    /// <summary>The database's path in the tree.</summary>
    [JsonPropertyName("database")]
    public required string Database { get; init; }

    [JsonPropertyName("count")]
    public int Count { get; init; }

    /// <summary>Blob id of the package list: a JSON array of <see cref="PackageListEntry"/>.</summary>
    [JsonPropertyName("list")]
    public required string List { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>
/// One installed package in the list blob that <see cref="PackagesComponent.List"/> names (FORMAT.md §5.3).
/// For dpkg, <see cref="Version"/> is the upstream version and <see cref="Release"/> the Debian revision
/// (empty for a native package).
/// </summary>
public sealed record PackageListEntry
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("epoch")]
    public int? Epoch { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("release")]
    public required string Release { get; init; }

    [JsonPropertyName("arch")]
    public string? Arch { get; init; }

    /// <summary>Installed size in bytes, when the database records it.</summary>
    [JsonPropertyName("size")]
    public long? Size { get; init; }

    /// <summary>Seconds since 1970 (rpm INSTALLTIME); dpkg does not record it.</summary>
    [JsonPropertyName("installTime")]
    public long? InstallTime { get; init; }

    [JsonPropertyName("headerSha256")]
    public string? HeaderSha256 { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }

    /// <summary>The version as rpm and dpkg print it: <c>[epoch:]version-release</c>, without "-" when the release is empty.</summary>
    [JsonIgnore]
    public string EpochVersionRelease =>
        (Epoch is int e ? $"{e}:" : "") + (Release.Length == 0 ? Version : $"{Version}-{Release}");
}

/// <summary>How the installed packages compare with what the metapackage pins (FORMAT.md §5.3 <c>pin</c>).</summary>
public sealed record PinComponent
{
    [JsonPropertyName("metapackage")]
    public required string Metapackage { get; init; }

    /// <summary>The metapackage's installed <c>[epoch:]version-release</c>.</summary>
    [JsonPropertyName("version")]
    public string? Version { get; init; }

    [JsonPropertyName("consistent")]
    public bool Consistent { get; init; }

    /// <summary>How many pinned requirements the installed packages satisfy.</summary>
    [JsonPropertyName("satisfied")]
    public int Satisfied { get; init; }

    [JsonPropertyName("deviations")]
    public IReadOnlyList<PinDeviationRecord> Deviations { get; init; } = [];

    /// <summary>Pinned packages not installed, each as "name = version".</summary>
    [JsonPropertyName("missing")]
    public IReadOnlyList<string> Missing { get; init; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>A pinned package installed at another version than the pin says.</summary>
public sealed record PinDeviationRecord
{
    [JsonPropertyName("package")]
    public required string Package { get; init; }

    [JsonPropertyName("expected")]
    public required string Expected { get; init; }

    [JsonPropertyName("installed")]
    public IReadOnlyList<string> Installed { get; init; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>The container image the root file system came from (FORMAT.md §5.3 <c>os.image</c>).</summary>
public sealed record ContainerImageComponent
{
    /// <summary><c>oci</c> or <c>docker-archive</c>.</summary>
    [JsonPropertyName("format")]
    public required string Format { get; init; }

    /// <summary>The tag, when the image has one.</summary>
    [JsonPropertyName("reference")]
    public string? Reference { get; init; }

    [JsonPropertyName("manifestDigest")]
    public string? ManifestDigest { get; init; }

    [JsonPropertyName("configDigest")]
    public required string ConfigDigest { get; init; }

    [JsonPropertyName("architecture")]
    public string? Architecture { get; init; }

    [JsonPropertyName("os")]
    public string? Os { get; init; }

    [JsonPropertyName("created")]
    public string? Created { get; init; }

    /// <summary>The layer digests in order: of the blobs (OCI) or of the uncompressed layers (docker-archive).</summary>
    [JsonPropertyName("layers")]
    public IReadOnlyList<string> Layers { get; init; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}
