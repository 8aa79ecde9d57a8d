using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Composition;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Spec;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class SnapshotCommand
{
    private sealed class Cleanup(IReadOnlyList<IDisposable> resources) : IDisposable
    {
        public void Dispose()
        {
            foreach (IDisposable r in resources)
            {
                r.Dispose();
            }
        }
    }

    public static Command Create()
    {
        var specFile = new Argument<string?>("SPEC") { Arity = ArgumentArity.ZeroOrOne, Description = "A capsule spec (YAML or JSON, catalog-schema/capsule-spec.schema.json): the whole environment. Or use --rootfs and --name." };
        var rootfs = new Option<string?>("--rootfs") { Description = "The root directory of the tree to capture." };
        var name = new Option<string?>("--name", "-n") { Description = "The capsule name (a-z 0-9 . _ -)." };
        var exclude = new Option<string[]>("--exclude", "-e") { Description = "Leave out paths matching this pattern (recorded as excluded); repeatable. '/x' is anchored at the root, '*.o' matches anywhere.", AllowMultipleArgumentsPerToken = false };
        var title = new Option<string?>("--title") { Description = "A one-line title for the capsule version." };
        var description = new Option<string?>("--description") { Description = "A description for the capsule version." };
        var sign = new Option<string?>("--sign") { Description = "Sign the manifest with this Ed25519 private key (see 'cvmpreserve key new')." };
        var level = new Option<int>("--compression-level") { Description = "zstd level for new blobs (1-19).", DefaultValueFactory = _ => 3 };
        var workers = new Option<int>("--workers") { Description = "Parallel hash/compress workers.", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount) };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("snapshot", "Capture a tree into a new capsule version, with full POSIX fidelity.")
        {
            specFile, rootfs, name, exclude, title, description, sign, level, workers, json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            using var collector = CollectorHold.Enter();
            int lvl = parse.GetValue(level);
            if (lvl is < 1 or > 19)
            {
                throw new PreserveException(FailureKind.Usage, $"--compression-level {lvl}: use 1 to 19.");
            }

            CapsuleSpec? spec = parse.GetValue(specFile) is string specPath ? CapsuleSpecLoader.Load(specPath) : null;
            if (spec is not null && (parse.GetValue(rootfs) is not null || parse.GetValue(name) is not null))
            {
                throw new PreserveException(FailureKind.Usage, "give either a SPEC file or --rootfs and --name, not both.");
            }

            // The quick form is a spec holding only os.rootfs: a directory, a tarball or an image, and its OS recorded.
            if (spec is null)
            {
                string source = parse.GetValue(rootfs) ?? throw new PreserveException(FailureKind.Usage, "snapshot needs a SPEC file, or --rootfs DIR (the tree to capture) and --name NAME.");
                string capsule = parse.GetValue(name) ?? throw new PreserveException(FailureKind.Usage, "snapshot needs --name NAME (the capsule).");
                spec = CapsuleSpec.ForRootfs(source, capsule, parse.GetValue(exclude) ?? []);
            }

            CapsuleName capsuleName = CommonOptions.ParseName(spec.Name);
            ArchiveLocation where = CommonOptions.Location(parse);
            NSec.Cryptography.Key? key = parse.GetValue(sign) is string keyPath ? SigningKeyFile.LoadPrivate(keyPath) : null;
            CernVM.Preserve.Core.Diagnostics.Timeline.Mark("snapshot: request parsed");
            await using Archive archive = await CommonOptions.OpenArchiveAsync(where, ArchiveAccess.Write, ct, lvl);
            CernVM.Preserve.Core.Diagnostics.Timeline.Mark("snapshot: archive open");
            IReadOnlyList<string> excludeArchive = where.LocalPath is string lp ? [lp] : [];
            PreparedCapture prepared = await new EnvironmentCapture(archive).PrepareAsync(spec, excludeArchive, ct);
            CernVM.Preserve.Core.Diagnostics.Timeline.Mark("snapshot: tree prepared");
            var options = new SnapshotOptions
            {
                Source = spec.Source,
                Tree = prepared.Tree,
                Capsule = capsuleName,
                Workers = Math.Max(1, parse.GetValue(workers)),
                Title = parse.GetValue(title) ?? spec.Title,
                Description = parse.GetValue(description) ?? spec.Description,
                SigningKey = key,
                DescribeEnvironment = prepared.Describe,
            };

            using var cleanup = new Cleanup(prepared.Resources);
            var snapshotter = new TreeSnapshotter(archive);
            SnapshotMonitor m = snapshotter.Monitor;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            SnapshotResult result = await ProgressDisplay.RunAsync(
                $"snapshot {options.Capsule}",
                snapshotter.SnapshotAsync(options, ct),
                // The bytes to read grow until the walk and the reading have met every file: no total until then.
                () => new ProgressReading(m.Phase, m.BytesDone, m.Phase is "walking" or "reading" ? null : m.BytesToRead),
                parse.GetValue(json),
                ct);
            clock.Stop();
            CernVM.Preserve.Core.Diagnostics.Timeline.Mark("snapshot: committed");
            CernVM.Preserve.Core.Diagnostics.Timeline.Runtime();

            Manifest man = result.Version.Manifest;

            // The capture report: what was left out, each entry with the reason (FORMAT.md §6.3 states).
            TreeSummary tree = man.Tree;
            List<TreeEntry> notCaptured = tree.Excluded + tree.Pseudo + tree.Unreadable == 0
                ? []
                : (await TreeLoader.LoadAsync(archive, result.Version, ct)).Entries.Where(e => e.State != EntryState.Captured).ToList();
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["capsule"] = result.Version.Capsule.Value,
                    ["version"] = result.Version.Version,
                    ["manifestSha256"] = result.Version.Sha256,
                    ["signed"] = result.Version.Signature is not null,
                    ["tree"] = CanonicalJson.ToNode(man.Tree),
                    ["statistics"] = CanonicalJson.ToNode(man.Statistics),
                    ["newData"] = new JsonObject
                    {
                        ["content"] = NewDataJson(result.Summary.Content),
                        ["catalog"] = NewDataJson(result.Summary.Catalog),
                    },
                    ["warnings"] = CanonicalJson.ToNode(man.Warnings),
                    ["components"] = man.Components is null ? null : CanonicalJson.ToNode(man.Components),
                    ["notCaptured"] = new JsonArray(notCaptured.Select(e => (JsonNode)new JsonObject
                    {
                        ["path"] = "/" + e.DisplayPath,
                        ["state"] = e.State.ToString().ToLowerInvariant(),
                        ["reason"] = e.Note,
                    }).ToArray()),
                    ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
                    ["journalFailure"] = result.JournalFailure,
                });
            }
            else
            {
                TreeSummary t = man.Tree;
                SnapshotStatistics s = man.Statistics;
                Output.Line($"snapshot {result.Version.Capsule}@v{result.Version.Version} of {options.Source}" + (result.PreviousVersion is int p ? $" (previous v{p})" : ""));
                SnapshotSummary sum = result.Summary;
                long left = t.Excluded + t.Pseudo + t.Unreadable;
                Output.Line($"  entries     {t.Entries:N0}: {t.Files:N0} files, {t.Directories:N0} dirs, {t.Symlinks:N0} symlinks, {t.Hardlinks:N0} hard links, {t.Specials:N0} special" + (left > 0 ? $" captured, {left:N0} not captured" : ""));
                Output.Line($"  size        {Output.Size(t.Bytes)} captured, in {t.Blobs:N0} blobs");
                Output.Line($"  read        {s.FilesRead:N0} files, {Output.Size(s.BytesRead)} ({s.FilesUnchanged:N0} unchanged files not read)");
                Output.Line($"  new data    {Output.Size(sum.Content.Bytes)} of content in {sum.Content.Blobs:N0} blobs, "
                    + (sum.Catalog.Blobs > 0 ? $"{Output.Size(sum.Catalog.Bytes)} of tree catalog" : "tree catalog already stored")
                    + $"; {Output.Size(sum.Total.StoredBytes)} stored after compression");
                Output.Line($"  took        {Output.Took(clock.Elapsed, s.BytesRead)}");
                if (t.Excluded + t.Pseudo + t.Unreadable > 0)
                {
                    Output.Line($"  not captured {t.Excluded:N0} excluded, {t.Pseudo:N0} pseudo file systems, {t.Unreadable:N0} unreadable");
                    foreach (TreeEntry e in notCaptured.Take(20))
                    {
                        Output.Line($"    {e.State.ToString().ToLowerInvariant(),-10} /{e.DisplayPath}: {e.Note}");
                    }

                    if (notCaptured.Count > 20)
                    {
                        Output.Line($"    … and {notCaptured.Count - 20} more ('snapshot --json' and 'ls' list them all)");
                    }
                }

                if (man.Components is EnvironmentComponents components)
                {
                    Output.Line("  captured");
                    ShowCommand.ShowComponents(components, "    ");
                }

                Output.Line($"  manifest    sha256 {result.Version.Sha256}" + (result.Version.Signature is not null ? $", signed by key {result.Version.Signature.KeyId[..16]}" : ""));
                foreach (CaptureWarning w in man.Warnings.Take(20))
                {
                    Output.Warn($"{w.Code} {w.Path}: {w.Message}");
                }

                if (man.Warnings.Count > 20)
                {
                    Output.Warn($"{man.Warnings.Count - 20} more warnings: 'cvmpreserve show {result.Version.Capsule}@v{result.Version.Version} --json' lists them all.");
                }
            }

            WarnIfUnrecorded(result);

            // docs/CLI.md §Exit codes: a version without the content of some entries is committed, but is no plain success.
            int unreadable = man.Warnings.Count(w => w.Code == ReportCode.EntryUnreadable.Code);
            if (unreadable > 0)
            {
                Output.Warn($"{unreadable:N0} {(unreadable == 1 ? "entry" : "entries")} could not be read (CAP001): {result.Version.Capsule}@v{result.Version.Version} is committed, recording {(unreadable == 1 ? "it" : "them")} without content (exit {ExitCodes.CommittedWithUnreadable}).");
                return ExitCodes.CommittedWithUnreadable;
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// A version committed whose ingestion event could not be written: it exists (FORMAT.md §7), so the exit code
    /// does not say otherwise, but the reason is shown.
    /// </summary>
    public static void WarnIfUnrecorded(SnapshotResult result)
    {
        if (result.JournalFailure is string why)
        {
            Output.Warn($"{result.Version.Capsule}@v{result.Version.Version} is committed, but its ingestion event could not be written to the journal: {why.TrimEnd('.')}. The version exists; an audit lists it as unrecorded (AUD085).");
        }
    }

    private static JsonObject NewDataJson(NewData d) => new() { ["blobs"] = d.Blobs, ["bytes"] = d.Bytes, ["storedBytes"] = d.StoredBytes };
}
