using System.Text.Json;
using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// One way the environment was run, with the reference outputs to compare a rerun with (FORMAT.md §5.3
/// <c>run</c>). Members the spec left out are left out here too.
/// </summary>
public sealed record RunComponent
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("interpreter")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Interpreter { get; init; }

    [JsonPropertyName("script")]
    public required string Script { get; init; }

    [JsonPropertyName("workdir")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Workdir { get; init; }

    /// <summary>Environment variables in the spec's order.</summary>
    [JsonPropertyName("environment")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    [JsonPropertyName("args")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>As the spec wrote it (<c>2m</c>, <c>90s</c>).</summary>
    [JsonPropertyName("timeout")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Timeout { get; init; }

    [JsonPropertyName("inputs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Inputs { get; init; }

    [JsonPropertyName("outputs")]
    public IReadOnlyList<RunOutputComponent> Outputs { get; init; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>An output of a run and the reference it is compared with.</summary>
public sealed record RunOutputComponent
{
    /// <summary>Where the run writes the output, in the environment.</summary>
    [JsonPropertyName("path")]
    public required string Path { get; init; }

    /// <summary>The reference as the spec named it: '/…' in the tree, else a file of the curator's.</summary>
    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    [JsonPropertyName("referenceBlob")]
    public required string ReferenceBlob { get; init; }

    [JsonPropertyName("compare")]
    public ComparisonRule Compare { get; init; } = ComparisonRule.Exact;

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}
