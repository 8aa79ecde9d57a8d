using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>What an export wrote.</summary>
/// <param name="Directory">The repository directory (it holds <c>.cvmfspublished</c> and <c>data/</c>).</param>
/// <param name="Fqrn">The repository's name.</param>
/// <param name="RootHash">The root catalog of the archived revision: what a client mounts with <c>CVMFS_ROOT_HASH</c>.</param>
/// <param name="ObjectsKept">Objects written back byte for byte from their blobs (catalogs, certificate, history, …).</param>
/// <param name="ObjectsRebuilt">File and chunk objects rebuilt from the capsule's tree and checked against their names.</param>
/// <param name="ObjectsOmitted">Objects of files the capsule does not hold (a shrinkwrap spec cut them): the copy is partial.</param>
/// <param name="Bytes">Bytes written.</param>
public sealed record CvmfsExportResult(string Directory, string Fqrn, string RootHash, int ObjectsKept, int ObjectsRebuilt, int ObjectsOmitted, long Bytes);

/// <summary>
/// Writes an archived CernVM-FS revision back as a repository in the stratum layout (FORMAT.md §5.3): the
/// kept signed artefacts byte for byte, and every file object rebuilt from the capsule's tree, compressed as
/// cvmfs compresses and checked against the hash that names it. The result is verified like any repository
/// before it appears under its final name: it is written into a sibling temporary directory first.
/// </summary>
public sealed class CvmfsStratumExporter
{
    private readonly Archive _archive;

    public CvmfsStratumExporter(Archive archive) => _archive = archive;

    /// <summary>Exports the revision described by <paramref name="component"/> (one member of the manifest's <c>cvmfs</c> list).</summary>
    /// <param name="entries">The capsule version's tree entries.</param>
    /// <param name="component">The cvmfs component.</param>
    /// <param name="directory">Where the repository goes; it must not exist yet.</param>
    /// <param name="cancellationToken">Stops the export; the partial directory is removed.</param>
    /// <exception cref="PreserveException">The directory exists, a kept artefact is missing or corrupt, or a rebuilt object does not match its name.</exception>
    /// <summary>
    /// Where the repository <paramref name="fqrn"/> is written under <paramref name="stratum"/>: DIR/&lt;fqrn&gt;. The
    /// name comes from a manifest, which an archive from elsewhere may hold made by hand: anything but a
    /// repository name (letters, digits, '.', '-', '_'; not '.' or '..') is refused, so that no name such as
    /// '../x' or '/etc' makes export write outside DIR.
    /// </summary>
    /// <exception cref="PreserveException">The name is not a repository name (kind Integrity).</exception>
    public static string RepositoryDirectory(string stratum, string fqrn, string manifest)
    {
        ArgumentNullException.ThrowIfNull(fqrn);
        bool valid = fqrn.Length is > 0 and <= 255 && fqrn is not ("." or "..") &&
            fqrn.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '-' or '_');
        if (!valid)
        {
            throw new PreserveException(
                FailureKind.Integrity,
                $"{manifest}: names the CernVM-FS repository '{fqrn.ReplaceLineEndings("\\n")}', which is not a repository name (letters, digits, '.', '-', '_'); refusing to export it, it could be written outside {stratum}.");
        }

        return Path.Combine(stratum, fqrn);
    }

    public async Task<CvmfsExportResult> ExportAsync(IReadOnlyList<TreeEntry> entries, CvmfsComponent component, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(component);
        string fqrn = component.Fqrn;
        string mount = component.MountPoint.Trim('/');
        ContentHash rootHash = ContentHash.Parse(component.RootHash, ObjectSuffix.Catalog);
        CvmfsArtefacts artefacts = component.Artefacts;

        string final = Path.GetFullPath(directory);
        if (Directory.Exists(final) || File.Exists(final))
        {
            throw new PreserveException(FailureKind.Usage, $"{final} already exists; export writes a new repository directory.");
        }

        string parent = Path.GetDirectoryName(final) ?? throw new PreserveException(FailureKind.Usage, $"{final} has no parent directory.");
        Directory.CreateDirectory(parent);
        string work = Path.Combine(parent, $".{Path.GetFileName(final)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            long bytes = 0;
            int kept = 0;
            foreach ((string file, string? id) in new[] { (".cvmfspublished", artefacts.Published), (".cvmfswhitelist", artefacts.Whitelist) })
            {
                if (id is not null)
                {
                    bytes += await WriteAsync(work, file, await GetBlobAsync(id, $"{fqrn} {file}", cancellationToken), cancellationToken).ConfigureAwait(false);
                }
            }

            foreach ((string objectPath, string id) in artefacts.Objects)
            {
                if (!IsObjectPath(objectPath))
                {
                    throw new PreserveException(FailureKind.Integrity, $"cvmfs component {fqrn}: '{objectPath}' is not an object path (data/XX/…).");
                }

                bytes += await WriteAsync(work, objectPath, await GetBlobAsync(id, $"{fqrn} {objectPath}", cancellationToken), cancellationToken).ConfigureAwait(false);
                kept++;
            }

            (int rebuilt, int omitted, long rebuiltBytes) = await RebuildFileObjectsAsync(work, entries, mount, rootHash, fqrn, cancellationToken).ConfigureAwait(false);
            bytes += rebuiltBytes;
            Directory.Move(work, final);
            return new CvmfsExportResult(final, fqrn, rootHash.ToString(), kept, rebuilt, omitted, bytes);
        }
        catch
        {
            Directory.Delete(work, recursive: true);
            throw;
        }
    }

    private async Task<(int Rebuilt, int Omitted, long Bytes)> RebuildFileObjectsAsync(string work, IReadOnlyList<TreeEntry> entries, string mount, ContentHash rootHash, string fqrn, CancellationToken cancellationToken)
    {
        var byPath = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        var byId = new Dictionary<long, TreeEntry>();
        foreach (TreeEntry e in entries)
        {
            byPath[PathBytes.ToDisplay(e.Path)] = e;
            byId[e.Id] = e;
        }

        int rebuilt = 0, omitted = 0;
        long bytes = 0;
        using var repository = await OpenAsync(work, rootHash, fqrn, cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (CvmfsEntry c in repository.WalkAsync(cancellationToken).ConfigureAwait(false))
            {
                if (c.Kind != CvmfsEntryKind.File || c.IsExternal || c.IsHidden)
                {
                    continue;
                }

                IReadOnlyList<(ContentHash Hash, long Offset, long Size)> pieces = c.Chunks.Count > 0
                    ? c.Chunks.Select(k => (k.Hash, k.Offset, k.Size)).ToList()
                    : c.ContentHash is ContentHash h ? [(h, 0L, c.Size)] : [];
                List<(ContentHash Hash, long Offset, long Size)> missing = pieces.Where(p => !File.Exists(Path.Combine(work, p.Hash.ObjectPath))).ToList();
                if (missing.Count == 0)
                {
                    continue;
                }

                string path = mount + c.Path;
                if (!byPath.TryGetValue(path, out TreeEntry? e) || e.Kind != EntryKind.File)
                {
                    omitted += missing.Count;
                    continue;
                }

                if (e.HardlinkTo is long first && byId.TryGetValue(first, out TreeEntry? target))
                {
                    e = target;
                }

                byte[] content = await ReadContentAsync(e, cancellationToken).ConfigureAwait(false);
                foreach ((ContentHash hash, long offset, long size) in missing)
                {
                    if (offset + size > content.Length)
                    {
                        throw new PreserveException(FailureKind.Integrity, $"{fqrn}: /{path} has {content.Length} bytes in the capsule, its object {hash.ObjectName} needs {offset + size}.");
                    }

                    byte[] stored = CvmfsCompression.Deflate(content.AsSpan((int)offset, (int)size), c.Compression);
                    if (!ContentHash.Compute(hash.Algorithm, stored, hash.Suffix).DigestEquals(hash))
                    {
                        throw new PreserveException(FailureKind.Integrity, $"{fqrn}: object {hash.ObjectName} of /{path} cannot be rebuilt: the content compressed with this system's zlib hashes differently, and the archive did not keep the original object.");
                    }

                    if (!File.Exists(Path.Combine(work, hash.ObjectPath)))
                    {
                        bytes += await WriteAsync(work, hash.ObjectPath, stored, cancellationToken).ConfigureAwait(false);
                        rebuilt++;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is CvmfsIntegrityException or CvmfsFormatException)
        {
            throw new PreserveException(FailureKind.Integrity, $"{fqrn}: the archived catalogs cannot be read back: {ex.Message}", ex);
        }

        return (rebuilt, omitted, bytes);
    }

    private static async Task<CvmfsRepository> OpenAsync(string work, ContentHash rootHash, string fqrn, CancellationToken cancellationToken)
    {
        try
        {
            return await CvmfsRepository.OpenAsync(new FileSystemCvmfsSource(work), CvmfsSelector.ForRootHash(rootHash), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CvmfsIntegrityException or CvmfsFormatException or CvmfsSourceException)
        {
            throw new PreserveException(FailureKind.Integrity, $"{fqrn}: the archived root catalog {rootHash} cannot be opened: {ex.Message}", ex);
        }
    }

    private async Task<byte[]> ReadContentAsync(TreeEntry e, CancellationToken cancellationToken)
    {
        if (e.State != EntryState.Captured)
        {
            throw new PreserveException(FailureKind.NotFound, $"/{e.DisplayPath} has no content in the archive ({e.State.ToString().ToLowerInvariant()}: {e.Note}).");
        }

        byte[] content = new byte[e.Size];
        foreach (Extent x in e.Extents)
        {
            byte[] blob = await _archive.Blobs.GetAsync(x.Blob, cancellationToken).ConfigureAwait(false);
            blob.AsSpan((int)x.BlobOffset, (int)x.Length).CopyTo(content.AsSpan((int)x.Offset));
        }

        if (e.Content is BlobId id && BlobId.FromDigest(System.Security.Cryptography.SHA256.HashData(content)) != id)
        {
            throw new PreserveException(FailureKind.Integrity, $"/{e.DisplayPath}: the content read back does not match its recorded SHA-256 {id}.");
        }

        return content;
    }

    private async Task<byte[]> GetBlobAsync(string id, string what, CancellationToken cancellationToken)
    {
        if (!BlobId.TryParse(id, out BlobId blob))
        {
            throw new PreserveException(FailureKind.Integrity, $"{what}: '{id}' is not a blob id.");
        }

        return await _archive.Blobs.GetAsync(blob, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsObjectPath(string p) =>
        p.StartsWith("data/", StringComparison.Ordinal) && p.Length > 9 && p[7] == '/' && !p.Contains("..", StringComparison.Ordinal) && p.IndexOf('/', 8) < 0;

    private static async Task<long> WriteAsync(string root, string relative, byte[] bytes, CancellationToken cancellationToken)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        return bytes.Length;
    }
}
