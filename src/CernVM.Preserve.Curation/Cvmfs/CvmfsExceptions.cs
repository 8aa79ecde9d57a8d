namespace CernVM.Preserve.Curation.Cvmfs;

/// <summary>What went wrong with a CernVM-FS repository; stable values, never reused.</summary>
public enum CvmfsProblem
{
    /// <summary>A file or object does not follow the format (docs/CVMFS.md §1–§5).</summary>
    Malformed = 1,

    /// <summary>The bytes do not hash to the name or to the printed hash.</summary>
    BadHash = 2,

    /// <summary>An RSA signature does not verify.</summary>
    BadSignature = 3,

    /// <summary>An object or file the repository refers to is absent.</summary>
    MissingObject = 4,

    /// <summary>The catalogs contradict each other (nested catalog mount points, sizes, prefixes).</summary>
    CatalogInconsistent = 5,

    /// <summary>The signing certificate is not trusted by the whitelist, or names disagree.</summary>
    Untrusted = 6,

    /// <summary>The source could not be read (network error, timeout, server error).</summary>
    Unavailable = 7,
}

/// <summary>
/// A CernVM-FS file or object does not follow the format. The message names the file or the
/// object (hash and suffix) and the problem.
/// </summary>
public class CvmfsFormatException : Exception
{
    public CvmfsFormatException(string subject, string message)
        : base($"{subject}: {message}")
    {
        Subject = subject;
    }

    public CvmfsFormatException(string subject, string message, Exception innerException)
        : base($"{subject}: {message}", innerException)
    {
        Subject = subject;
    }

    /// <summary>The file name or object name (hash + suffix) concerned.</summary>
    public string Subject { get; }
}

/// <summary>
/// A CernVM-FS repository fails an integrity check: a hash or a signature does not match, an
/// object is missing, or catalogs are inconsistent. The message names the object and the problem.
/// </summary>
public class CvmfsIntegrityException : Exception
{
    public CvmfsIntegrityException(CvmfsProblem problem, string subject, string message)
        : base($"{subject}: {message}")
    {
        Problem = problem;
        Subject = subject;
    }

    public CvmfsIntegrityException(CvmfsProblem problem, string subject, string message, Exception innerException)
        : base($"{subject}: {message}", innerException)
    {
        Problem = problem;
        Subject = subject;
    }

    /// <summary>The kind of failure.</summary>
    public CvmfsProblem Problem { get; }

    /// <summary>The file name, path or object name (hash + suffix) concerned.</summary>
    public string Subject { get; }
}

/// <summary>A repository source could not be read (transport error, timeout, unexpected status).</summary>
public class CvmfsSourceException : Exception
{
    public CvmfsSourceException(string message)
        : base(message)
    {
    }

    public CvmfsSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
