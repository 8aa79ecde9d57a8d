using System.Text.Json;
using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// One CernVM-FS revision mounted into the environment (FORMAT.md §5.3 <c>cvmfs</c>), with the signed
/// artefacts a client needs to mount it again.
/// </summary>
public sealed record CvmfsComponent
{
    /// <summary>The repository as the spec named it (a URL or a directory).</summary>
    [JsonPropertyName("repository")]
    public string? Repository { get; init; }

    [JsonPropertyName("fqrn")]
    public required string Fqrn { get; init; }

    [JsonPropertyName("mountPoint")]
    public required string MountPoint { get; init; }

    [JsonPropertyName("revision")]
    public long Revision { get; init; }

    /// <summary>The root catalog's content hash: what a client mounts with <c>CVMFS_ROOT_HASH</c>.</summary>
    [JsonPropertyName("rootHash")]
    public required string RootHash { get; init; }

    [JsonPropertyName("tag")]
    public string? Tag { get; init; }

    /// <summary>When the revision was published (FORMAT.md §1.4), when the manifest says.</summary>
    [JsonPropertyName("published")]
    public string? Published { get; init; }

    [JsonPropertyName("certificateFingerprint")]
    public string? CertificateFingerprint { get; init; }

    [JsonPropertyName("whitelistExpires")]
    public string? WhitelistExpires { get; init; }

    /// <summary>The shrinkwrap spec that cut the revision, as the curator's spec named it.</summary>
    [JsonPropertyName("shrinkwrapSpec")]
    public string? ShrinkwrapSpec { get; init; }

    [JsonPropertyName("artefacts")]
    public required CvmfsArtefacts Artefacts { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>
/// The revision's own files kept as blobs (FORMAT.md §5.3): the signed manifest and whitelist, and every
/// catalog, certificate, history and meta-info object, plus the file objects zlib does not reproduce.
/// </summary>
public sealed record CvmfsArtefacts
{
    /// <summary>Blob id of <c>.cvmfspublished</c>, when the source had one.</summary>
    [JsonPropertyName(".cvmfspublished")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Published { get; init; }

    /// <summary>Blob id of <c>.cvmfswhitelist</c>, when the source had one.</summary>
    [JsonPropertyName(".cvmfswhitelist")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Whitelist { get; init; }

    /// <summary>
    /// Repository path (<c>data/XX/…</c>) → blob id, in the order the capture listed them (a dictionary
    /// enumerates in insertion order when nothing is removed, which keeps the written form stable).
    /// </summary>
    [JsonPropertyName("objects")]
    public IReadOnlyDictionary<string, string> Objects { get; init; } = new Dictionary<string, string>();

    /// <summary>File and chunk objects left to the tree, rebuilt from it on export.</summary>
    [JsonPropertyName("objectsFromTree")]
    public int ObjectsFromTree { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}
