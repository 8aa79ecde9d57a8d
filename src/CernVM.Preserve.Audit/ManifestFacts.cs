using System.Text.Json;

namespace CernVM.Preserve.Audit;

/// <summary>
/// What the audit needs of a manifest (FORMAT.md §5), read by its own code from the JSON: the catalog, every
/// other blob the manifest names (§5.3: values named blob, list, spec, referenceBlob and every value under
/// artefacts), the previous version, and what the capsule declares of itself (DPHEP level, run entries).
/// </summary>
public sealed record ManifestFacts(
    string Capsule,
    int Version,
    string Catalog,
    long TreeBytes,
    string Created,
    (int Version, string Sha256)? Previous,
    IReadOnlyList<(string Pointer, string Blob)> NamedBlobs,
    int? DphepLevel,
    int RunEntries,
    int RunEntriesWithReferences)
{
    private static readonly HashSet<string> BlobMembers = ["blob", "list", "spec", "referenceBlob"];

    /// <summary>Reads the facts; the manifest has passed its schema, so the members the schema requires are there.</summary>
    public static ManifestFacts Read(byte[] manifest)
    {
        using JsonDocument doc = JsonDocument.Parse(manifest);
        JsonElement root = doc.RootElement;
        JsonElement tree = root.GetProperty("tree");
        (int, string)? previous = root.GetProperty("previous") is { ValueKind: JsonValueKind.Object } p
            ? (p.GetProperty("version").GetInt32(), p.GetProperty("manifestSha256").GetString()!)
            : null;

        var named = new List<(string, string)>();
        int? level = null;
        int runs = 0, runsWithReferences = 0;
        if (root.TryGetProperty("components", out JsonElement components) && components.ValueKind == JsonValueKind.Object)
        {
            CollectBlobs(components, "/components", underArtefacts: false, named);
            if (components.TryGetProperty("curation", out JsonElement curation) && curation.ValueKind == JsonValueKind.Object &&
                curation.TryGetProperty("dphepLevel", out JsonElement l) && l.ValueKind == JsonValueKind.Number)
            {
                level = l.GetInt32();
            }

            if (components.TryGetProperty("run", out JsonElement run) && run.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement entry in run.EnumerateArray())
                {
                    runs++;
                    if (entry.TryGetProperty("outputs", out JsonElement outputs) && outputs.ValueKind == JsonValueKind.Array &&
                        outputs.GetArrayLength() > 0 &&
                        outputs.EnumerateArray().All(o => o.TryGetProperty("referenceBlob", out JsonElement r) && r.ValueKind == JsonValueKind.String))
                    {
                        runsWithReferences++;
                    }
                }
            }
        }

        return new ManifestFacts(
            root.GetProperty("capsule").GetString()!,
            root.GetProperty("version").GetInt32(),
            tree.GetProperty("catalog").GetString()!,
            tree.GetProperty("bytes").GetInt64(),
            root.GetProperty("created").GetString()!,
            previous,
            named,
            level,
            runs,
            runsWithReferences);
    }

    private static void CollectBlobs(JsonElement element, string pointer, bool underArtefacts, List<(string, string)> named)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty p in element.EnumerateObject())
                {
                    string at = pointer + "/" + p.Name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
                    if (p.Value.ValueKind == JsonValueKind.String && (underArtefacts || BlobMembers.Contains(p.Name)))
                    {
                        AddIfId(p.Value.GetString()!, at, named);
                    }
                    else
                    {
                        CollectBlobs(p.Value, at, underArtefacts || p.Name == "artefacts", named);
                    }
                }

                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    string at = pointer + "/" + i++;
                    if (item.ValueKind == JsonValueKind.String && underArtefacts)
                    {
                        AddIfId(item.GetString()!, at, named);
                    }
                    else
                    {
                        CollectBlobs(item, at, underArtefacts, named);
                    }
                }

                break;
        }
    }

    private static void AddIfId(string value, string pointer, List<(string, string)> named)
    {
        if (value.Length == 64 && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            named.Add((pointer, value));
        }
    }
}
