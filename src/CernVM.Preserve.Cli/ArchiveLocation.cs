using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli;

/// <summary>
/// Which archive a command works on: <c>--archive</c>, else <c>CVMPRESERVE_ARCHIVE</c>, else the default local
/// archive under the user's data directory (docs/CLI.md §Choosing the archive).
/// </summary>
public sealed record ArchiveLocation(string Text, bool IsDefault)
{
    public static ArchiveLocation Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return new ArchiveLocation(option, false);
        }

        string? env = System.Environment.GetEnvironmentVariable("CVMPRESERVE_ARCHIVE");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return new ArchiveLocation(env, false);
        }

        string data = System.Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } x
            ? x
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".local", "share");
        return new ArchiveLocation(Path.Combine(data, "cvmpreserve", "archive"), true);
    }

    public bool IsS3 => Text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The local directory of the archive, or null for a remote one.</summary>
    public string? LocalPath => IsS3 ? null : Path.GetFullPath(Text);

    public IObjectStore CreateStore()
    {
        if (IsS3)
        {
            throw new PreserveException(FailureKind.Usage, $"{Text}: S3 archives are not available in this build; use a local directory.");
        }

        return new FileSystemObjectStore(LocalPath!);
    }

    /// <summary>Opens the archive; the default local archive is created on first use, any other must exist.</summary>
    public async Task<Archive> OpenAsync(CancellationToken cancellationToken, int compressionLevel = 3)
    {
        // Every command that opens an archive reads a manifest, which is validated against its schema, and most
        // read a tree catalog: building the schema (~60 ms) and loading SQLite (~15 ms) are done on the other
        // core while the archive is opened and listed.
        _ = Task.Run(ManifestCodec.WarmUp, CancellationToken.None);
        _ = Task.Run(Catalog.TreeCatalog.WarmUp, CancellationToken.None);
        IObjectStore store = CreateStore();
        if (IsDefault && LocalPath is string p && (!Directory.Exists(p) || !Directory.EnumerateFileSystemEntries(p).Any()))
        {
            await Archive.InitAsync(store, null, cancellationToken).ConfigureAwait(false);
        }
        else if (LocalPath is string q && !Directory.Exists(q))
        {
            throw new PreserveException(FailureKind.NotAnArchive, $"{q} does not exist. Create an archive there with 'cvmpreserve init {q}'.");
        }

        return await Archive.OpenAsync(store, cancellationToken, compressionLevel).ConfigureAwait(false);
    }
}
