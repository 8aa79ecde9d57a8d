using System.Text.Json.Serialization;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Search;

/// <summary>
/// What the index records of one capsule version besides its packages and paths: the manifest's descriptive
/// fields and typed components, flattened into searchable values. Immutable; kept in the registry as JSON so
/// that a version's document can be rebuilt (a new verdict) without reading the archive again.
/// </summary>
public sealed record VersionFacts
{
    [JsonPropertyName("capsule")] public required string Capsule { get; init; }
    [JsonPropertyName("version")] public required int Version { get; init; }
    [JsonPropertyName("manifestSha256")] public required string ManifestSha256 { get; init; }
    [JsonPropertyName("created")] public string? Created { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("experiment")] public string? Experiment { get; init; }
    [JsonPropertyName("creators")] public IReadOnlyList<string> Creators { get; init; } = [];
    [JsonPropertyName("licence")] public string? Licence { get; init; }
    [JsonPropertyName("dphepLevel")] public int? DphepLevel { get; init; }
    [JsonPropertyName("osDistribution")] public string? OsDistribution { get; init; }
    [JsonPropertyName("osId")] public string? OsId { get; init; }
    [JsonPropertyName("osVersion")] public string? OsVersion { get; init; }
    [JsonPropertyName("osCodename")] public string? OsCodename { get; init; }
    [JsonPropertyName("osArchitecture")] public string? OsArchitecture { get; init; }
    [JsonPropertyName("kernelRelease")] public string? KernelRelease { get; init; }
    [JsonPropertyName("bootloader")] public string? Bootloader { get; init; }

    /// <summary>The installed-package database's format (<c>rpm-bdb</c>, <c>rpm-sqlite</c>, <c>dpkg</c>); null without one.</summary>
    [JsonPropertyName("packageFormat")] public string? PackageFormat { get; init; }
    [JsonPropertyName("pin")] public string? Pin { get; init; }
    [JsonPropertyName("pinVersion")] public string? PinVersion { get; init; }
    [JsonPropertyName("pinDeviations")] public IReadOnlyList<string> PinDeviations { get; init; } = [];
    [JsonPropertyName("cvmfs")] public IReadOnlyList<CvmfsFacts> Cvmfs { get; init; } = [];
    [JsonPropertyName("software")] public IReadOnlyList<SoftwareFacts> Software { get; init; } = [];
    [JsonPropertyName("run")] public IReadOnlyList<string> Run { get; init; } = [];

    /// <summary>The tree's paths the version holds, and how many of them are indexed (<see cref="IndexLimits.MaxPathsPerVersion"/>).</summary>
    [JsonPropertyName("pathsTotal")] public long PathsTotal { get; init; }

    /// <summary>A line that says which OS this is, for people: <c>Scientific Linux 4.8 i386</c>.</summary>
    [JsonIgnore]
    public string? OsLine => string.Join(' ', new[] { OsDistribution, OsVersion, OsArchitecture }.Where(s => !string.IsNullOrEmpty(s))) is { Length: > 0 } s ? s : null;

    [JsonIgnore]
    public string Key => VersionKey.Of(Capsule, Version);

    /// <summary>Flattens a checked manifest's fields and components.</summary>
    public static VersionFacts From(string capsule, int version, string manifestSha256, Manifest manifest, long pathsTotal)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        EnvironmentComponents? c = manifest.Components;
        OsComponent? os = c?.Os;
        return new VersionFacts
        {
            Capsule = capsule,
            Version = version,
            ManifestSha256 = manifestSha256,
            Created = manifest.Created,
            Title = manifest.Title,
            Description = manifest.Description,
            Experiment = c?.Curation?.Experiment,
            Creators = c?.Curation?.Creators?.Select(p => p.Name).ToList() ?? [],
            Licence = c?.Curation?.Licence,
            DphepLevel = c?.Curation?.DphepLevel,
            OsDistribution = os?.Distribution ?? os?.OsRelease?.Id,
            OsId = os?.OsRelease?.Id,
            OsVersion = os?.Version ?? os?.OsRelease?.VersionId,
            OsCodename = os?.Codename,
            OsArchitecture = os?.Architecture,
            KernelRelease = c?.Boot?.Kernel?.Release ?? c?.Boot?.Kernel?.Version,
            Bootloader = c?.Boot?.BootloaderConfig?.Format,
            PackageFormat = os?.Packages?.Format,
            Pin = os?.Pin?.Metapackage,
            PinVersion = os?.Pin?.Version,
            PinDeviations = os?.Pin?.Deviations.Select(d => d.Package).Concat(os.Pin.Missing).ToList() ?? [],
            Cvmfs = c?.Cvmfs?.Select(r => new CvmfsFacts(r.Fqrn, r.Revision, r.Tag, r.RootHash)).ToList() ?? [],
            Software = c?.Software?.Select(s => new SoftwareFacts(s.Name, s.Version)).ToList() ?? [],
            Run = c?.Run?.Select(r => r.Name).ToList() ?? [],
            PathsTotal = pathsTotal,
        };
    }
}

/// <summary>One CernVM-FS revision a version pins.</summary>
public sealed record CvmfsFacts(
    [property: JsonPropertyName("fqrn")] string Fqrn,
    [property: JsonPropertyName("revision")] long Revision,
    [property: JsonPropertyName("tag")] string? Tag,
    [property: JsonPropertyName("rootHash")] string RootHash);

/// <summary>One software layer and its version.</summary>
public sealed record SoftwareFacts(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string? Version);

/// <summary>The latest verdict of one kind (<c>audit</c> or <c>replay</c>) the journal holds for a version.</summary>
public sealed record Verdict(string Kind, string Outcome, string Time);

/// <summary>Everything indexed of one version: its facts, its installed packages, its paths (sorted, bounded).</summary>
public sealed record VersionContent(VersionFacts Facts, IReadOnlyList<PackageListEntry> Packages, IReadOnlyList<string> Paths);

/// <summary>The one spelling of a version's key in the index, <c>NAME@vN</c>.</summary>
public static class VersionKey
{
    public static string Of(string capsule, int version) => $"{capsule}@v{version}";
}

/// <summary>Documented bounds of what the index takes in (docs/ARCHITECTURE.md §Search).</summary>
public static class IndexLimits
{
    /// <summary>
    /// Paths indexed per version: the first this many in tree order (byte order, so shallow system paths come
    /// first); a version's document says how many it holds in all. A tree this large (a whole CVMFS repository
    /// captured as files) would otherwise dominate the index.
    /// </summary>
    public const int MaxPathsPerVersion = 1_000_000;
}

[JsonSerializable(typeof(VersionFacts))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class SearchJsonContext : JsonSerializerContext;
