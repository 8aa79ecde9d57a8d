namespace CernVM.Preserve.Engine.Restorer;

/// <summary>Where and how to restore.</summary>
public sealed record RestoreOptions
{
    /// <summary>The directory to restore into: new, or empty.</summary>
    public required string Target { get; init; }

    /// <summary>Blobs read and written at once.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Also check every file against its own recorded SHA-256: a file packed in a bundle in memory, a file
    /// written from several extents (chunked large files, sparse files) by reading it back. Every blob is
    /// verified as it is read in any case, and the extents come from a verified catalog, so every byte written
    /// is covered by a checked SHA-256 without this; it catches a defect of the software that wrote the
    /// catalog, at the cost of hashing every byte a second time and reading large files again.
    /// </summary>
    public bool VerifyWrittenFiles { get; init; }

    /// <summary>
    /// Make no character or block device node (reported, RST009): a device node of the archive, restored as
    /// root, gives whoever can open it the device (/dev/sda, /dev/mem, …) whatever the target's owner.
    /// </summary>
    public bool NoDevices { get; init; }

    /// <summary>
    /// Clear the setuid and setgid bits and leave out <c>security.capability</c> (file capabilities), each
    /// reported (RST009): restored as root, such a file runs with privileges for whoever may execute it.
    /// </summary>
    public bool NoSetuid { get; init; }

    /// <summary>Do not set recorded owners, even as root: everything belongs to the restoring user (reported once, RST009).</summary>
    public bool NoOwners { get; init; }
}
