using System.CommandLine;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary>Options shared by the commands.</summary>
public static class CommonOptions
{
    public static Option<string?> Archive { get; } = new("--archive", "-a")
    {
        // The default named as this user's environment makes it (XDG_DATA_HOME honoured), not as a guess.
        Description = $"The archive: a directory, or s3://bucket/prefix. Default: $CVMPRESERVE_ARCHIVE, else the default local archive {ArchiveLocation.DefaultLocalPath()} ($XDG_DATA_HOME/cvmpreserve/archive, else ~/.local/share/cvmpreserve/archive).",
        Recursive = true,
    };

    public static Option<string?> S3Endpoint { get; } = new("--s3-endpoint")
    {
        Description = "The S3 endpoint of an s3:// archive, http://host:port or https://host:port (TLS by the scheme). Default: $AWS_ENDPOINT_URL.",
        Recursive = true,
    };

    public static Option<int?> S3Parallel { get; } = new("--s3-parallel")
    {
        Description = "Uploads to an s3:// archive in flight at once (1-256). Default: $CVMPRESERVE_S3_PARALLEL, else 8.",
        Recursive = true,
    };

    public static Option<bool> Json() => new("--json") { Description = "Write the result as JSON on stdout." };

    public static ArchiveLocation Location(ParseResult parse) => ArchiveLocation.Resolve(parse.GetValue(Archive), parse.GetValue(S3Endpoint), parse.GetValue(S3Parallel));

    /// <summary>Opens the archive the options name (only a writer creates the default one), warning when its declared retention is not applied.</summary>
    public static Task<Archive> OpenArchiveAsync(ParseResult parse, ArchiveAccess access, CancellationToken cancellationToken, bool warmUpReaders = true) =>
        OpenArchiveAsync(Location(parse), access, cancellationToken, warmUpReaders: warmUpReaders);

    public static async Task<Archive> OpenArchiveAsync(ArchiveLocation where, ArchiveAccess access, CancellationToken cancellationToken, int compressionLevel = 3, bool warmUpReaders = true)
    {
        Archive archive = await where.OpenAsync(access, cancellationToken, compressionLevel, warmUpReaders);
        if (ArchiveLocation.RetentionMismatch(archive) is string warning)
        {
            Output.Warn(warning);
        }

        return archive;
    }

    public static CapsuleRef ParseRef(string? text) =>
        CapsuleRef.TryParse(text, out CapsuleRef r)
            ? r
            : throw new PreserveException(FailureKind.Usage, $"'{text}' is not a capsule reference: write NAME or NAME@vN (for example aleph-alpha@v2); a NAME is {CapsuleName.Rule}.{LowerCaseHint(text)}");

    public static CapsuleName ParseName(string? text) =>
        CapsuleName.TryParse(text, out CapsuleName n)
            ? n
            : throw new PreserveException(FailureKind.Usage, $"'{text}' is not a capsule name: a name is {CapsuleName.Rule}.{LowerCaseHint(text)}");

    // 'Docs' is the commonest near miss: say which name was probably meant.
    private static string LowerCaseHint(string? text) =>
        text is not null && text != text.ToLowerInvariant() && CapsuleRef.TryParse(text.ToLowerInvariant(), out _)
            ? $" Did you mean '{text.ToLowerInvariant()}'?"
            : "";
}
