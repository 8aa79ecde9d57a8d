namespace CernVM.Preserve.Core;

/// <summary>What kind of failure stopped an operation; the command line maps each to an exit code (docs/CLI.md).</summary>
public enum FailureKind
{
    /// <summary>The request itself is wrong: bad arguments, a bad spec file.</summary>
    Usage,

    /// <summary>The archive's content is damaged: a hash, a signature or a schema does not hold.</summary>
    Integrity,

    /// <summary>The location is not an archive, or one of a format this version cannot read.</summary>
    NotAnArchive,

    /// <summary>A named capsule, version or path does not exist.</summary>
    NotFound,

    /// <summary>The environment failed: disk full, permission denied, a store that cannot be reached.</summary>
    Environment,

    /// <summary>Another writer holds what this operation needs.</summary>
    Conflict,
}

/// <summary>
/// An operation that cannot proceed. The message says what, where, and what to do; the command line
/// prints it once and exits with the code of <see cref="Kind"/>.
/// </summary>
public class PreserveException : Exception
{
    public PreserveException(FailureKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    public FailureKind Kind { get; }
}
