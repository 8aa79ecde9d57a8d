using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Diagnostics;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Replay.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class RestoreCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        var to = new Option<string?>("--to", "-t") { Description = "A new or empty directory to restore into." };
        var workers = new Option<int>("--workers") { Description = "Parallel blob readers.", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount) };
        var verifyFiles = new Option<bool>("--verify-files") { Description = "Also check every restored file against its own SHA-256 (bundled files in memory; files of several blobs are read back)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("restore", "Give back the exact tree of a capsule version, verifying every blob.") { reference, to, workers, verifyFiles, json };
        cmd.SetAction(async (parse, ct) =>
        {
            string target = parse.GetValue(to) ?? throw new PreserveException(FailureKind.Usage, "restore needs --to DIR (a new or empty directory).");
            Timeline.Mark("restore: start");
            await using Archive archive = await CommonOptions.Location(parse).OpenAsync(ct);
            Timeline.Mark("restore: archive open");
            CapsuleRef capsuleRef = CommonOptions.ParseRef(parse.GetValue(reference));
            var monitor = new RestoreMonitor();
            var restorer = new TreeRestorer(archive, monitor);

            // The catalog is fetched and read while the manifest is checked (schema, sidecar, signature); it is
            // used only if the checked manifest names it.
            using var abandon = CancellationTokenSource.CreateLinkedTokenSource(ct);
            (int Version, BlobId Catalog)? peek = await archive.PeekCatalogAsync(capsuleRef, ct);
            CatalogLoad? early = peek is (int v, BlobId id) ? restorer.StartCatalogLoad(capsuleRef.Name, v, id, abandon.Token) : null;
            LoadedManifest m;
            try
            {
                m = await archive.ResolveAsync(capsuleRef, ct);
            }
            catch
            {
                await abandon.CancelAsync();
                throw;
            }

            Timeline.Mark("restore: manifest resolved");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            RestoreResult r = await ProgressDisplay.RunAsync(
                $"restore {m.Capsule}@v{m.Version}",
                restorer.RestoreAsync(m, new RestoreOptions { Target = target, Workers = Math.Max(1, parse.GetValue(workers)), VerifyWrittenFiles = parse.GetValue(verifyFiles), Catalog = early }, ct),
                () => ("writing", monitor.BytesDone, monitor.BytesTotal),
                parse.GetValue(json));
            clock.Stop();
            Timeline.Mark("restore: done");
            Timeline.Runtime();
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["capsule"] = m.Capsule.Value,
                    ["version"] = m.Version,
                    ["target"] = Path.GetFullPath(target),
                    ["entries"] = r.Entries,
                    ["files"] = r.Files,
                    ["bytes"] = r.Bytes,
                    ["skipped"] = r.Skipped,
                    ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
                    ["problems"] = new JsonArray(r.Problems.Select(p => (JsonNode)new JsonObject { ["code"] = p.Code, ["path"] = p.Path, ["message"] = p.Message, ["error"] = p.IsError }).ToArray()),
                });
            }
            else
            {
                Output.Line($"restored {m.Capsule}@v{m.Version} to {Path.GetFullPath(target)}: {r.Entries:N0} entries, {r.Files:N0} files, {Output.Size(r.Bytes)} in {Output.Duration(clock.Elapsed)}");
                foreach (RestoreProblem p in r.Problems)
                {
                    (p.IsError ? (Action<string>)Output.Error : Output.Warn)($"{p.Code} {(p.Path is null ? "" : "/" + p.Path + ": ")}{p.Message}");
                }
            }

            if (!r.HasErrors)
            {
                return ExitCodes.Ok;
            }

            return r.Problems.Any(p => p.IsError && p.Code is "RST010" or "RST011" or "RST012") ? ExitCodes.Integrity : ExitCodes.Environment;
        });
        return cmd;
    }
}
