using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Storage;
using CernVM.Preserve.Storage.S3;

namespace CernVM.Preserve.Engine.Locations;

/// <summary>What a command does with the archive it opens.</summary>
public enum ArchiveAccess
{
    /// <summary>Only reads: a missing default archive is reported, never created.</summary>
    Read,

    /// <summary>Writes versions: the default local archive is created on first use.</summary>
    Write,
}

/// <summary>
/// Which archive a command works on, and the one way to reach it: <c>--archive</c>, else
/// <c>CVMPRESERVE_ARCHIVE</c>, else the default local archive under the user's data directory (docs/CLI.md
/// §Choosing the archive); a directory (FileSystemObjectStore) or an S3 bucket (S3ObjectStore, FORMAT.md §8.1).
/// </summary>
public sealed record ArchiveLocation(string Text, bool IsDefault)
{
    /// <summary>--s3-endpoint (else AWS_ENDPOINT_URL).</summary>
    public string? S3Endpoint { get; init; }

    /// <summary>--s3-parallel (else CVMPRESERVE_S3_PARALLEL, else 8).</summary>
    public int? S3Parallel { get; init; }

    public static ArchiveLocation Resolve(string? option, string? s3Endpoint, int? s3Parallel) =>
        Resolve(option) with { S3Endpoint = s3Endpoint, S3Parallel = s3Parallel };

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

        return new ArchiveLocation(DefaultLocalPath(), true);
    }

    /// <summary>The default local archive: <c>$XDG_DATA_HOME/cvmpreserve/archive</c>, else under <c>~/.local/share</c>.</summary>
    public static string DefaultLocalPath()
    {
        string data = System.Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } x
            ? x
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "cvmpreserve", "archive");
    }

    public bool IsS3 => Text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The local directory of the archive, or null for a remote one.</summary>
    public string? LocalPath => IsS3 ? null : Path.GetFullPath(Text);

    /// <summary>The S3 address, endpoint, credentials and tuning of an s3:// archive.</summary>
    public S3Settings S3Settings() => Storage.S3.S3Settings.Parse(Text, S3Endpoint, S3Parallel);

    /// <summary>Connects to the store: a directory, or an existing bucket (S3ObjectStore.OpenAsync).</summary>
    public async Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken) =>
        IsS3 ? await S3ObjectStore.OpenAsync(S3Settings(), cancellationToken).ConfigureAwait(false) : new FileSystemObjectStore(LocalPath!);

    /// <summary>
    /// Opens the archive. With <see cref="ArchiveAccess.Write"/> the default local archive is created on first
    /// use; a reader never creates one (it would only find it empty), and any other location must exist.
    /// </summary>
    /// <param name="warmUpReaders">
    /// Whether to build the manifest schema and load SQLite's tree-catalog reader on the other core meanwhile
    /// (building the schema costs ~60 ms, loading SQLite ~15 ms): what a command that reads manifests or catalogs
    /// wants, and only wasted work, allocation and garbage collections for one that reads neither in the usual case
    /// (a search whose index is up to date).
    /// </param>
    /// <exception cref="PreserveException">No archive there (kind NotAnArchive), naming the location and what to do.</exception>
    public async Task<Archive> OpenAsync(ArchiveAccess access, CancellationToken cancellationToken, int compressionLevel = 3, bool warmUpReaders = true)
    {
        if (warmUpReaders)
        {
            _ = Task.Run(ManifestCodec.WarmUp, CancellationToken.None);
            _ = Task.Run(Catalog.TreeCatalog.WarmUp, CancellationToken.None);
        }

        if (LocalPath is string p && (!Directory.Exists(p) || (IsDefault && HoldsOnlyScratch(p))))
        {
            if (!IsDefault)
            {
                throw new PreserveException(FailureKind.NotAnArchive, $"{p} does not exist. Create an archive there with 'cvmpreserve init {p}'.");
            }

            if (access == ArchiveAccess.Read)
            {
                throw new PreserveException(FailureKind.NotAnArchive,
                    $"there is no archive yet: the default archive {p} does not exist. The first snapshot creates it, or 'cvmpreserve init {p}'; name another with --archive or CVMPRESERVE_ARCHIVE.");
            }

            IObjectStore fresh = await CreateStoreAsync(cancellationToken).ConfigureAwait(false);
            await Archive.InitAsync(fresh, null, cancellationToken).ConfigureAwait(false);
            return await Archive.OpenAsync(fresh, cancellationToken, compressionLevel).ConfigureAwait(false);
        }

        IObjectStore store = await CreateStoreAsync(cancellationToken).ConfigureAwait(false);
        return await Archive.OpenAsync(store, cancellationToken, compressionLevel).ConfigureAwait(false);
    }

    // Empty but for writers' scratch (tmp/, FORMAT.md §1.1), such as what 'storage validate' leaves behind.
    private static bool HoldsOnlyScratch(string directory) =>
        Directory.EnumerateFileSystemEntries(directory).All(e => Path.GetFileName(e) + "/" == ArchiveLayout.ScratchPrefix);

    /// <summary>
    /// Says when <c>archive.json</c> declares an Object Lock retention the store does not apply (FORMAT.md §3,
    /// §8.1: a bucket's default changed since init, or a copy into another bucket or a directory); null when they agree.
    /// </summary>
    public static string? RetentionMismatch(Archive archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        RetentionDescriptor? declared = archive.Descriptor.Retention;
        RetentionPolicy? applied = archive.Store.Capabilities.Retention;
        if (declared is null || (applied is not null && applied.Mode == declared.Mode && (int)applied.Period.TotalDays == declared.Days))
        {
            return null;
        }

        return $"{archive.Store.Location}: archive.json declares Object Lock {declared.Mode} for {declared.Days} days, but the store applies " +
               (applied is null ? "no retention" : $"{applied.Mode} for {applied.Period.TotalDays:0} days") + " to the objects it writes.";
    }
}
