using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CernVM.Preserve.Curation.Spec;

/// <summary>The curator's spec (catalog-schema/capsule-spec.schema.json; DESIGN §5).</summary>
public sealed class CapsuleSpec
{
    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required string Name { get; init; }

    public string? Title { get; init; }

    public string? Description { get; init; }

    public string? Experiment { get; init; }

    public List<Creator> Creators { get; init; } = [];

    public string? Licence { get; init; }

    public int? DphepLevel { get; init; }

    public required OsSpec Os { get; init; }

    public BootSpec? Boot { get; init; }

    public List<CvmfsSpec> Cvmfs { get; init; } = [];

    public List<SoftwareSpec> Software { get; init; } = [];

    public List<RunSpec> Run { get; init; } = [];

    /// <summary>The spec file's absolute path; relative paths in the spec are relative to its directory.</summary>
    [JsonIgnore]
    public string SpecFile { get; set; } = "";

    /// <summary>A path on the curator's machine, as written in the spec, made absolute.</summary>
    public string Resolve(string path) => Path.GetFullPath(path, Path.GetDirectoryName(SpecFile) ?? ".");
}

public sealed record Creator(string Name, string? Affiliation, string? Orcid);

public sealed record OsSpec(string Rootfs, string? Metapackage, List<string>? Exclude);

public sealed record BootSpec(string? Kernel, string? Initrd, string? Cmdline, string? BootloaderConfig);

public sealed record CvmfsSpec(string Repository, string? Fqrn, long? Revision, string? Tag, string? RootHash, string? PublicKey, string? ShrinkwrapSpec, string? MountPoint);

public sealed record SoftwareSpec(string Name, string? Version, string Source, string MountPoint);

public sealed record RunSpec(
    string Name,
    string? Interpreter,
    string Script,
    string? Workdir,
    Dictionary<string, string>? Environment,
    List<string>? Args,
    string? Timeout,
    List<string>? Inputs,
    List<OutputSpec>? Outputs);

public sealed record OutputSpec(string Path, string Reference, JsonNode? Compare);
