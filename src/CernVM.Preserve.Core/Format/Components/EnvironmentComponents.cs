using System.Text.Json;
using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// What makes a captured tree an environment: the manifest's <c>components</c> (FORMAT.md §5.3). Every
/// member is optional. Property order is the canonical order of the serialised form; members this software
/// does not know are kept in <see cref="Unknown"/> and written back after the known ones (§5.2: readers
/// ignore what they do not know).
/// </summary>
public sealed record EnvironmentComponents
{
    [JsonPropertyName("curation")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CurationComponent? Curation { get; init; }

    [JsonPropertyName("os")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OsComponent? Os { get; init; }

    [JsonPropertyName("software")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<SoftwareComponent>? Software { get; init; }

    [JsonPropertyName("cvmfs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<CvmfsComponent>? Cvmfs { get; init; }

    [JsonPropertyName("boot")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BootComponent? Boot { get; init; }

    [JsonPropertyName("run")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<RunComponent>? Run { get; init; }

    /// <summary>
    /// Members of a later revision of format 1, kept as read. Settable, not init, in every component record:
    /// the generated deserialiser fills extension data after construction, which init members cannot take.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>Who curated the environment and under which terms (FORMAT.md §5.3 <c>curation</c>).</summary>
public sealed record CurationComponent
{
    [JsonPropertyName("experiment")]
    public string? Experiment { get; init; }

    [JsonPropertyName("creators")]
    public IReadOnlyList<CreatorRecord>? Creators { get; init; }

    [JsonPropertyName("licence")]
    public string? Licence { get; init; }

    /// <summary>The DPHEP preservation level, 1 to 4.</summary>
    [JsonPropertyName("dphepLevel")]
    public int? DphepLevel { get; init; }

    /// <summary>Blob id of the curator's spec file, kept as it was.</summary>
    [JsonPropertyName("spec")]
    public string? Spec { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>One creator of the capsule, as the spec names them.</summary>
public sealed record CreatorRecord
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("affiliation")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Affiliation { get; init; }

    [JsonPropertyName("orcid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Orcid { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>A tree mounted into the environment (FORMAT.md §5.3 <c>software</c>).</summary>
public sealed record SoftwareComponent
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("version")]
    public string? Version { get; init; }

    [JsonPropertyName("mountPoint")]
    public required string MountPoint { get; init; }

    /// <summary>Where the curator's copy was read from, as the spec wrote it.</summary>
    [JsonPropertyName("source")]
    public string? Source { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}
