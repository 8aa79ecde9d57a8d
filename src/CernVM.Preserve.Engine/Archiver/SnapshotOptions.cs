using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Engine.Archiver;

/// <summary>What to snapshot and how.</summary>
public sealed class SnapshotOptions
{
    /// <summary>The tree as the curator named it (recorded in the manifest as <c>tree.source</c>).</summary>
    public required string Source { get; init; }

    /// <summary>The tree to capture (Curation chooses and composes it).</summary>
    public required ITreeSource Tree { get; init; }

    public required CapsuleName Capsule { get; init; }

    /// <summary>The blob savers compressing and storing in parallel; fewer than one counts as one (as the restorer's workers).</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    public string? Title { get; init; }

    public string? Description { get; init; }

    public NSec.Cryptography.Key? SigningKey { get; init; }

    public EnvironmentComponents? Components { get; init; }

    /// <summary>Warnings met before the snapshot (describing the environment); they come first in the manifest.</summary>
    public IReadOnlyList<CaptureWarning> ExtraWarnings { get; init; } = [];
}
