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

    /// <summary>
    /// Describes the environment the tree belongs to: its components and the warnings met reading them. It runs
    /// beside the walk and the reading (reading an OS's package database can take as long as walking a small
    /// tree) and is waited for before the new blobs are made durable, so blobs it stores are flushed with the
    /// tree's; its failure stops the walk and the reading and fails the snapshot, with nothing committed.
    /// </summary>
    public Func<CancellationToken, Task<EnvironmentDescription>> DescribeEnvironment { get; init; } = static _ => Task.FromResult(EnvironmentDescription.None);
}
