using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Core.Format;

/// <summary>The keys of an archive (FORMAT.md §2). Every key is a path relative to the archive root.</summary>
public static class ArchiveLayout
{
    /// <summary>The format this software writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The declaration file (an empty object whose name declares the format, after OCFL's).</summary>
    public const string Declaration = "0=cernvm-preserve_1";

    public const string DeclarationPrefix = "0=cernvm-preserve_";

    public const string DeclarationContent = "cernvm-preserve_1\n";

    public const string FormatDocument = "FORMAT.md";

    public const string Descriptor = "archive.json";

    public const string ManifestSchema = "schemas/manifest.schema.json";

    public const string CatalogDdl = "schemas/tree-catalog.sql";

    public const string EventSchema = "schemas/event.schema.json";

    public const string CapsulesPrefix = "capsules/";

    public const string JournalPrefix = "journal/";

    /// <summary>Writers' scratch space, which any archive or location may hold and no reader reads (§1.1).</summary>
    public const string ScratchPrefix = "tmp/";

    public static string CapsulePrefix(CapsuleName name) => $"capsules/{name}/";

    public static string VersionPrefix(CapsuleName name, int version) => $"capsules/{name}/v{version}/";

    public static string Manifest(CapsuleName name, int version) => $"capsules/{name}/v{version}/manifest.json";

    public static string ManifestSidecar(CapsuleName name, int version) => Manifest(name, version) + ".sha256";

    public static string ManifestSignature(CapsuleName name, int version) => Manifest(name, version) + ".sig";
}
