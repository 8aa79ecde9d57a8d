using System.Text.Json.Serialization;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Curation.Spec;

/// <summary>The curator's spec (catalog-schema/capsule-spec.schema.json; docs/CLI.md, snapshot SPEC).</summary>
public sealed class CapsuleSpec
{
    /// <summary>
    /// Compile-time metadata for the spec's JSON (camelCase, nulls left out): no reflection. The lists with a
    /// default have setters, not init: generated code sets every init property it knows, absent ones to null.
    /// </summary>
    internal static SpecJsonContext Json => SpecJsonContext.Default;

    public required string Name { get; init; }

    public string? Title { get; init; }

    public string? Description { get; init; }

    public string? Experiment { get; init; }

    public List<Creator> Creators { get; set; } = [];

    public string? Licence { get; init; }

    public int? DphepLevel { get; init; }

    public required OsSpec Os { get; init; }

    public BootSpec? Boot { get; init; }

    public List<CvmfsSpec> Cvmfs { get; set; } = [];

    public List<SoftwareSpec> Software { get; set; } = [];

    public List<RunSpec> Run { get; set; } = [];

    /// <summary>
    /// The spec file's absolute path; relative paths in the spec are relative to its directory. Empty for the
    /// quick form (<see cref="ForRootfs"/>), which has no file.
    /// </summary>
    [JsonIgnore]
    public string SpecFile { get; set; } = "";

    /// <summary>Whether the spec came from a file (which the capture keeps as <c>components.curation.spec</c>).</summary>
    [JsonIgnore]
    public bool HasFile => SpecFile.Length > 0;

    /// <summary>Where the tree was read from, for the manifest's <c>tree.source</c>: the spec file, or the quick form's root.</summary>
    [JsonIgnore]
    public string Source => HasFile ? SpecFile : Resolve(Os.Rootfs);

    /// <summary>How messages name the root file system: the spec's field, or the quick form's option.</summary>
    [JsonIgnore]
    public string RootfsLabel => HasFile ? $"{SpecFile}: os.rootfs '{Os.Rootfs}'" : $"--rootfs {Os.Rootfs}";

    /// <summary>
    /// The quick form, <c>snapshot --rootfs PATH --name NAME</c> (docs/CLI.md): a spec holding only
    /// <c>os.rootfs</c> and its exclusions, so a directory, a tarball and an image are captured, and their OS
    /// recorded, the one way a spec file's root is.
    /// </summary>
    public static CapsuleSpec ForRootfs(string rootfs, string name, IReadOnlyList<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(rootfs);
        return new CapsuleSpec { Name = name, Os = new OsSpec(Path.GetFullPath(rootfs), null, [.. exclude]) };
    }

    /// <summary>A path on the curator's machine, as written in the spec, made absolute.</summary>
    public string Resolve(string path) => HasFile ? Path.GetFullPath(path, Path.GetDirectoryName(SpecFile)!) : Path.GetFullPath(path);
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

public sealed record OutputSpec(string Path, string Reference, ComparisonRule? Compare);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CapsuleSpec))]
internal sealed partial class SpecJsonContext : JsonSerializerContext
{
}
