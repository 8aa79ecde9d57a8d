using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Composition;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class RestoreCommand
{
    /// <summary>Paths named per code in the text report, the first with its message.</summary>
    private const int PathsPerCode = 5;

    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        var to = new Option<string?>("--to", "-t") { Description = "A new or empty directory to restore into." };
        var workers = new Option<int>("--workers") { Description = "Parallel blob readers.", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount) };
        var verifyFiles = new Option<bool>("--verify-files") { Description = "Also check every restored file against its own SHA-256 (bundled files in memory; files of several blobs are read back)." };
        var allProblems = new Option<bool>("--all-problems") { Description = "List every entry's problem on its own line (default: one line per code, with a count and the first paths)." };
        var noDevices = new Option<bool>("--no-devices") { Description = "Make no character or block device node (each reported, RST009): for an archive from elsewhere restored as root." };
        var noSetuid = new Option<bool>("--no-setuid") { Description = "Clear setuid and setgid bits and leave out file capabilities (each reported, RST009)." };
        var noOwners = new Option<bool>("--no-owners") { Description = "Do not set the recorded owners, even as root: everything belongs to the restoring user (RST009)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("restore", "Give back the exact tree of a capsule version, verifying every blob.") { reference, to, workers, verifyFiles, allProblems, noDevices, noSetuid, noOwners, json };
        cmd.SetAction(async (parse, ct) =>
        {
            string target = parse.GetValue(to) ?? throw new PreserveException(FailureKind.Usage, "restore needs --to DIR (a new or empty directory).");
            using var collector = CollectorHold.Enter();
            Timeline.Mark("restore: start");
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            Timeline.Mark("restore: archive open");
            (LoadedManifest m, LoadedTree tree) = await TreeLoader.ResolveAsync(archive, CommonOptions.ParseRef(parse.GetValue(reference)), ct);
            Timeline.Mark("restore: manifest resolved");
            var monitor = new RestoreMonitor();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            RestoreResult r = await ProgressDisplay.RunAsync(
                $"restore {m.Capsule}@v{m.Version}",
                new TreeRestorer(archive, monitor).RestoreAsync(tree, new RestoreOptions
                {
                    Target = target,
                    Workers = Math.Max(1, parse.GetValue(workers)),
                    VerifyWrittenFiles = parse.GetValue(verifyFiles),
                    NoDevices = parse.GetValue(noDevices),
                    NoSetuid = parse.GetValue(noSetuid),
                    NoOwners = parse.GetValue(noOwners),
                }, ct),
                () => ("writing", monitor.BytesDone, monitor.BytesTotal),
                parse.GetValue(json));
            clock.Stop();
            Timeline.Mark("restore: done");
            Timeline.Runtime();
            if (parse.GetValue(json))
            {
                Output.Json(ToJson(m, Path.GetFullPath(target), r, clock.Elapsed));
            }
            else
            {
                Output.Line(Summary(m, Path.GetFullPath(target), r, clock.Elapsed));
                PrintProblems(r.Problems, parse.GetValue(allProblems));
            }

            if (!r.HasErrors)
            {
                return ExitCodes.Ok;
            }

            return r.Problems.Any(p => p.IsError && ReportCode.Find(p.Code)?.IsIntegrity == true) ? ExitCodes.Integrity : ExitCodes.Environment;
        });
        return cmd;
    }

    private static JsonObject ToJson(LoadedManifest m, string target, RestoreResult r, TimeSpan elapsed) => new()
    {
        ["capsule"] = m.Capsule.Value,
        ["version"] = m.Version,
        ["target"] = target,
        ["entries"] = r.Entries,
        ["restored"] = r.Restored,
        ["files"] = r.Files,
        ["bytes"] = r.Bytes,
        ["excluded"] = r.Excluded,
        ["pseudo"] = r.Pseudo,
        ["unreadable"] = r.Unreadable,
        ["notRestored"] = r.NotRestored,
        ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
        ["problems"] = new JsonArray(r.Problems.Select(p => (JsonNode)new JsonObject { ["code"] = p.Code, ["path"] = p.Path, ["message"] = p.Message, ["error"] = p.IsError }).ToArray()),
    };

    private static string Summary(LoadedManifest m, string target, RestoreResult r, TimeSpan elapsed)
    {
        string line = $"restored {m.Capsule}@v{m.Version} to {target}: {r.Restored:N0} entries, {r.Files:N0} files, {Output.Size(r.Bytes)} in {Output.Duration(elapsed)}";
        if (r.Excluded + r.Pseudo + r.Unreadable > 0)
        {
            line += $"; not captured, so not restored as they were: {r.Excluded:N0} excluded, {r.Pseudo:N0} pseudo, {r.Unreadable:N0} unreadable (directories among them are empty)";
        }

        if (r.NotRestored > 0)
        {
            line += $"; {r.NotRestored:N0} not restored (below)";
        }

        return line;
    }

    private static void PrintProblems(IReadOnlyList<RestoreProblem> problems, bool all)
    {
        if (all)
        {
            foreach (RestoreProblem p in problems)
            {
                Print(p.IsError, $"{p.Code} {Where(p)}{p.Message}");
            }

            return;
        }

        foreach (RestoreProblemSummary s in RestoreProblemSummary.Of(problems, PathsPerCode - 1))
        {
            string text = s.Count == 1
                ? $"{s.Code} {Where(s.First)}{s.First.Message}"
                : $"{s.Code} ({s.Count:N0} times) {Where(s.First)}{s.First.Message}" +
                  (s.MorePaths.Count > 0 ? "; also " + string.Join(", ", s.MorePaths.Select(p => "/" + p)) : "") +
                  (s.Unnamed > 0 ? $" and {s.Unnamed:N0} more" : "") + " (--all-problems lists each)";
            Print(s.IsError, text);
        }
    }

    private static string Where(RestoreProblem p) => p.Path is null ? "" : "/" + p.Path + ": ";

    private static void Print(bool isError, string text)
    {
        if (isError)
        {
            Output.Error(text);
        }
        else
        {
            Output.Warn(text);
        }
    }
}
