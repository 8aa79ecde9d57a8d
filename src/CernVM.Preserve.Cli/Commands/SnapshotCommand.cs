using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class SnapshotCommand
{
    public static Command Create()
    {
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
            rootfs, name, exclude, title, description, sign, level, workers, json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            string source = parse.GetValue(rootfs) ?? throw new PreserveException(FailureKind.Usage, "snapshot needs --rootfs DIR (the tree to capture).");
            string capsule = parse.GetValue(name) ?? throw new PreserveException(FailureKind.Usage, "snapshot needs --name NAME (the capsule).");
            int lvl = parse.GetValue(level);
            if (lvl is < 1 or > 19)
            {
                throw new PreserveException(FailureKind.Usage, $"--compression-level {lvl}: use 1 to 19.");
            }

            ArchiveLocation where = CommonOptions.Location(parse);
            NSec.Cryptography.Key? key = parse.GetValue(sign) is string keyPath ? SigningKeys.LoadPrivate(keyPath) : null;
            await using Archive archive = await where.OpenAsync(ct, lvl);
            var options = new SnapshotOptions
            {
                Source = Path.GetFullPath(source),
                Capsule = CommonOptions.ParseName(capsule),
                Excludes = parse.GetValue(exclude) ?? [],
                ExcludeAbsolute = where.LocalPath is string lp ? [lp] : [],
                Workers = Math.Max(1, parse.GetValue(workers)),
                Title = parse.GetValue(title),
                Description = parse.GetValue(description),
                SigningKey = key,
            };

            var snapshotter = new TreeSnapshotter(archive);
            SnapshotMonitor m = snapshotter.Monitor;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            SnapshotResult result = await ProgressDisplay.RunAsync(
                $"snapshot {capsule}",
                snapshotter.SnapshotAsync(options, ct),
                () => (m.Phase, m.BytesDone, m.BytesToRead),
                parse.GetValue(json));
            clock.Stop();
            if (Environment.GetEnvironmentVariable("CVMPRESERVE_TRACE") == "1")
            {
                foreach ((string phase, TimeSpan took) in m.Timings)
                {
                    Console.Error.WriteLine($"trace: {phase,-28} {took.TotalMilliseconds,8:0.0} ms");
                }
            }

            Manifest man = result.Version.Manifest;
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["capsule"] = result.Version.Capsule.Value,
                    ["version"] = result.Version.Version,
                    ["manifestSha256"] = result.Version.Sha256,
                    ["signed"] = result.Version.Signature is not null,
                    ["tree"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(man.Tree, CanonicalJson.Options)),
                    ["statistics"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(man.Statistics, CanonicalJson.Options)),
                    ["warnings"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(man.Warnings, CanonicalJson.Options)),
                    ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
                });
            }
            else
            {
                TreeSummary t = man.Tree;
                SnapshotStatistics s = man.Statistics;
                Output.Line($"snapshot {result.Version.Capsule}@v{result.Version.Version} of {options.Source}" + (result.PreviousVersion is int p ? $" (previous v{p})" : ""));
                Output.Line($"  entries     {t.Entries:N0}: {t.Files:N0} files, {t.Directories:N0} dirs, {t.Symlinks:N0} symlinks, {t.Hardlinks:N0} hard links, {t.Specials:N0} special");
                Output.Line($"  size        {Output.Size(t.Bytes)} in {t.Blobs:N0} blobs");
                Output.Line($"  read        {s.FilesRead:N0} files, {Output.Size(s.BytesRead)} ({s.FilesUnchanged:N0} unchanged files not read)");
                Output.Line($"  new data    {Output.Size(s.NewBytes)} in {s.NewBlobs:N0} blobs, {Output.Size(s.NewCompressedBytes)} stored after compression");
                Output.Line($"  took        {Output.Duration(clock.Elapsed)} ({Output.Rate(s.BytesRead, clock.Elapsed)})");
                if (t.Excluded + t.Pseudo + t.Unreadable > 0)
                {
                    Output.Line($"  not captured {t.Excluded:N0} excluded, {t.Pseudo:N0} pseudo file systems, {t.Unreadable:N0} unreadable");
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

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
