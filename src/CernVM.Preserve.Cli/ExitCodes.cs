using CernVM.Preserve.Core;

namespace CernVM.Preserve.Cli;

/// <summary>The documented exit codes (docs/CLI.md §Exit codes). Never reuse a number for another meaning.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>diff only, as diff(1): the two trees differ. Its trouble exits with the codes below, never 1.</summary>
    public const int Different = 1;
    public const int InternalError = 1;
    public const int Usage = 2;
    public const int Integrity = 3;
    public const int NotAnArchive = 4;
    public const int NotFound = 5;
    public const int Environment = 6;
    public const int Conflict = 7;

    /// <summary>
    /// The snapshot is committed, but some entries could not be read (CAP001) and are recorded without their
    /// content: a script must be able to tell (as restic's "snapshot created, but some source data could not be read").
    /// </summary>
    public const int CommittedWithUnreadable = 8;
    public const int Interrupted = 130;

    public static int For(FailureKind kind) => kind switch
    {
        FailureKind.Usage => Usage,
        FailureKind.Integrity => Integrity,
        FailureKind.NotAnArchive => NotAnArchive,
        FailureKind.NotFound => NotFound,
        FailureKind.Environment => Environment,
        FailureKind.Conflict => Conflict,
        _ => InternalError,
    };
}
