using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Storage;
using CernVM.Preserve.Storage.S3;

namespace CernVM.Preserve.Cli.Commands;

public static class InitCommand
{
    public static Command Create()
    {
        var location = new Argument<string?>("ARCHIVE") { Arity = ArgumentArity.ZeroOrOne, Description = "Optional: where to make the archive (without it, --archive, then the default archive)." };
        var objectLock = new Option<string?>("--object-lock")
        {
            Description = "s3:// only: make the bucket with S3 Object Lock in this mode (compliance or governance), or check that the existing bucket has it.",
        };
        objectLock.AcceptOnlyFromAmong("compliance", "governance");
        var retention = new Option<string?>("--retention") { Description = "With --object-lock: the default retention, e.g. 10y or 30d (years count 365 days)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("init", "Make a new, empty archive: declaration, FORMAT.md, archive.json and schemas.") { location, objectLock, retention, json };
        cmd.SetAction(async (parse, ct) =>
        {
            string? text = parse.GetValue(location) ?? parse.GetValue(CommonOptions.Archive);
            ArchiveLocation where = ArchiveLocation.Resolve(text, parse.GetValue(CommonOptions.S3Endpoint), parse.GetValue(CommonOptions.S3Parallel));
            string? mode = parse.GetValue(objectLock);
            string? period = parse.GetValue(retention);
            if ((mode is null) != (period is null))
            {
                throw new PreserveException(FailureKind.Usage, "--object-lock and --retention go together: for example --object-lock compliance --retention 10y.");
            }

            ObjectLockRequest? lockRequest = mode is null ? null : new ObjectLockRequest(mode, ParseDays(period!));
            if (lockRequest is not null && !where.IsS3)
            {
                throw new PreserveException(FailureKind.Usage, $"{where.Text}: --object-lock needs an s3:// archive; a directory has no Object Lock.");
            }

            if (where.IsS3)
            {
                await S3ObjectStore.PrepareBucketAsync(where.S3Settings(), lockRequest, ct);
            }

            IObjectStore store = await where.CreateStoreAsync(ct);
            RetentionDescriptor? descriptor = store.Capabilities.Retention is { } r
                ? new RetentionDescriptor { Mode = r.Mode, Days = (int)r.Period.TotalDays }
                : null;
            await using Archive archive = await Archive.InitAsync(store, descriptor, ct);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["archive"] = archive.Location,
                    ["id"] = archive.Descriptor.Id,
                    ["format"] = archive.Descriptor.Format,
                    ["retention"] = descriptor is null ? null : new JsonObject { ["mode"] = descriptor.Mode, ["days"] = descriptor.Days },
                });
            }
            else
            {
                Output.Line($"initialised archive {archive.Location} (format {archive.Descriptor.Format}, id {archive.Descriptor.Id})");
                Output.Line(descriptor is null
                    ? "retention: none (the store has no Object Lock)"
                    : $"retention: Object Lock {descriptor.Mode}, {descriptor.Days} days on every object");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>"10y" (365-day years) or "30d" into days.</summary>
    public static int ParseDays(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t.Length >= 2 && int.TryParse(t.AsSpan(0, t.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
        {
            long days = t[^1] switch { 'y' => n * 365L, 'd' => n, _ => -1 };
            if (days is > 0 and <= 36500)
            {
                return (int)days;
            }
        }

        throw new PreserveException(FailureKind.Usage, $"--retention '{text}' is not a duration: write a number of years or days, e.g. 10y or 30d (at most 100 years).");
    }
}
