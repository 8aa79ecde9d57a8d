namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// A repository in a local directory, e.g. <c>/srv/cvmfs/&lt;fqrn&gt;</c> or an extracted stratum-1
/// copy. Symbolic links are followed, as Apache does for the 2.0 layout's <c>data -&gt; ../data</c>.
/// </summary>
public sealed class FileSystemCvmfsSource : CvmfsObjectSource
{
    private readonly string _root;

    /// <summary>Reads the repository whose root (holding <c>.cvmfspublished</c> and <c>data/</c>) is <paramref name="rootDirectory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public FileSystemCvmfsSource(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        _root = Path.GetFullPath(rootDirectory);
        if (!Directory.Exists(_root))
        {
            throw new DirectoryNotFoundException($"CernVM-FS repository directory {_root} does not exist.");
        }
    }

    /// <inheritdoc/>
    public override string Location => _root;

    /// <inheritdoc/>
    protected override async Task<byte[]?> TryReadAsync(string relativePath, CancellationToken cancellationToken)
    {
        string path = Path.Combine(_root, relativePath.Replace('/', Path.DirectorySeparatorChar));
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException ex)
        {
            throw new CvmfsSourceException($"Cannot read {path}: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CvmfsSourceException($"Cannot read {path}: {ex.Message}", ex);
        }
    }
}
