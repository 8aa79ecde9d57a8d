using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>
/// The environment a tree belongs to, described for its manifest: the components (FORMAT.md §5.3) and the
/// warnings met while reading them, which come first in the manifest's warnings.
/// </summary>
public sealed record EnvironmentDescription(EnvironmentComponents? Components, IReadOnlyList<CaptureWarning> Warnings)
{
    /// <summary>A plain tree: no components, no warnings.</summary>
    public static EnvironmentDescription None { get; } = new(null, []);
}
