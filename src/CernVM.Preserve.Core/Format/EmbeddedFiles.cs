using System.Reflection;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// The normative documents compiled into the software: FORMAT.md and the schemas of catalog-schema/. Every
/// archive receives copies of them at init (FORMAT.md §2), so the archive explains itself.
/// </summary>
public static class EmbeddedFiles
{
    public static byte[] FormatDocument => Read("FORMAT.md");

    public static byte[] ManifestSchema => Read("schemas/manifest.schema.json");

    public static byte[] CatalogDdl => Read("schemas/tree-catalog.sql");

    public static byte[] EventSchema => Read("schemas/event.schema.json");

    public static byte[] CapsuleSpecSchema => Read("schemas/capsule-spec.schema.json");

    private static byte[] Read(string name)
    {
        using Stream s = typeof(EmbeddedFiles).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The build lost the embedded resource '{name}'.");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
