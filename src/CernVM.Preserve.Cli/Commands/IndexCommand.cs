using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Search;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary><c>index status</c> and <c>index rebuild</c>: the search index, derived from the archive (docs/CLI.md §Search).</summary>
public static class IndexCommand
{
    public static Command Create()
    {
        var cmd = new Command("index", "The search index: derived data under the user's cache directory, brought up to date by every search.");
        cmd.Subcommands.Add(Sub("status", "Bring the index up to date and say what it holds and where.", rebuild: false));
        cmd.Subcommands.Add(Sub("rebuild", "Throw the index away and make it anew from the archive alone.", rebuild: true));
        return cmd;
    }

    private static Command Sub(string name, string description, bool rebuild)
    {
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command(name, description) { json };
        cmd.SetAction(async (parse, ct) =>
        {
            bool asJson = parse.GetValue(json);
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct, warmUpReaders: false); // the index reads a manifest only for a new version
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using ArchiveIndex index = await OpenUpToDateAsync(archive, rebuild, asJson, ct);
            IndexStatus s = index.Status();
            if (asJson)
            {
                Output.Json(new JsonObject
                {
                    ["archive"] = s.Location,
                    ["archiveId"] = s.ArchiveId,
                    ["path"] = s.Path,
                    ["temporary"] = s.Temporary,
                    ["versions"] = s.Versions,
                    ["capsules"] = s.Capsules,
                    ["packages"] = s.Packages,
                    ["directoryListings"] = s.Listings,
                    ["generation"] = s.Generation,
                    ["bytes"] = s.SizeBytes,
                    ["journalThrough"] = s.JournalThrough,
                    ["seconds"] = clock.Elapsed.TotalSeconds,
                });
                return ExitCodes.Ok;
            }

            Output.Line($"index of {s.Location}{(s.Temporary ? " (temporary)" : "")}");
            Output.Line($"  at          {s.Path}");
            Output.Line($"  holds       {s.Versions:N0} versions of {s.Capsules:N0} capsules, {s.Packages:N0} installed packages, {s.Listings:N0} distinct directories");
            Output.Line($"  size        {Output.Size(s.SizeBytes)}");
            Output.Line($"  journal     {s.JournalThrough ?? "no audit or replay event yet"}");
            Output.Line($"  {(rebuild ? "rebuilt in" : "up to date,")} {Output.Duration(clock.Elapsed)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Opens the archive's index and brings it up to date, with progress on stderr when that takes long.</summary>
    public static async Task<ArchiveIndex> OpenUpToDateAsync(Archive archive, bool rebuild, bool quiet, CancellationToken ct)
    {
        ArchiveIndex index = ArchiveIndex.Open(archive, rebuild, cancellationToken: ct);
        Core.Diagnostics.Timeline.Mark("index: opened and checked");
        try
        {
            if (index.Notice is string notice)
            {
                Output.Warn(notice);
            }

            await ProgressDisplay.RunAsync("index", index.UpdateAsync(ct), () => index.Progress, quiet);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }
}
