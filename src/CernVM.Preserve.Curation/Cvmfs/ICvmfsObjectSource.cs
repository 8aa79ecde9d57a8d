namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>
/// Read access to a CernVM-FS repository root (stratum 0 or 1): the same layout on disk and over
/// HTTP (docs/CVMFS.md §1; cvmfs/swissknife_pull.cc). For a CernVM-FS 2.0 repository the root is the <c>pub/catalogs</c>
/// directory, whose <c>data</c> entry leads to the object store.
/// </summary>
public interface ICvmfsObjectSource
{
    /// <summary>Where the repository is read from, for messages.</summary>
    string Location { get; }

    /// <summary>
    /// Reads a plain file at the repository root, such as <c>.cvmfspublished</c> or
    /// <c>.cvmfswhitelist</c>, or returns <see langword="null"/> if it does not exist.
    /// </summary>
    /// <exception cref="CvmfsSourceException">The source could not be read.</exception>
    Task<byte[]?> TryFetchFileAsync(string fileName, CancellationToken cancellationToken);

    /// <summary>
    /// Reads the stored (normally compressed) bytes of the object <paramref name="hash"/>, after checking
    /// that they hash to the object's name.
    /// </summary>
    /// <exception cref="CvmfsIntegrityException">The object is missing (<see cref="CvmfsProblem.MissingObject"/>)
    /// or its bytes do not hash to its name (<see cref="CvmfsProblem.BadHash"/>).</exception>
    /// <exception cref="CvmfsSourceException">The source could not be read.</exception>
    Task<byte[]> FetchObjectAsync(ContentHash hash, CancellationToken cancellationToken);
}
