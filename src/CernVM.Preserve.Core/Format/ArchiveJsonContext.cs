using System.Text.Json.Serialization;

namespace CernVM.Preserve.Core.Format;

/// <summary>
/// Compile-time JSON metadata for the archive's own files: no reflection at run time, which is most of
/// the start-up cost of a short command such as an unchanged snapshot or a show.
/// </summary>
[JsonSerializable(typeof(ArchiveDescriptor))]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(PreservationEvent))]
[JsonSerializable(typeof(ManifestSignature))]
[JsonSerializable(typeof(List<CaptureWarning>))]
[JsonSerializable(typeof(TreeSummary))]
[JsonSerializable(typeof(SnapshotStatistics))]
[JsonSerializable(typeof(EnvironmentComponents))]
[JsonSerializable(typeof(List<PackageListEntry>))]
[JsonSerializable(typeof(ComparisonRule))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonArray))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
internal sealed partial class ArchiveJsonContext : JsonSerializerContext
{
}
