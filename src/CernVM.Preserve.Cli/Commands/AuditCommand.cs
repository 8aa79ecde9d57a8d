using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Archiver;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CernVM.Preserve.Audit;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Cli.Composition;
using CernVM.Preserve.Replay;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary><c>audit</c>: the officer's check of the archive (docs/CLI.md; findings in FORMAT.md §11).</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var target = new Argument<string?>("NAME[@vN]") { Arity = ArgumentArity.ZeroOrOne, Description = "Only this capsule, or this version (default: the whole archive)." };
        var deep = new Option<bool>("--deep") { Description = "Decompress and re-hash every blob and check every file's content hash." };
        var sample = new Option<double?>("--sample") { Description = "Re-hash PERCENT of the blobs (0 < PERCENT <= 100); successive sampled audits rotate through the archive." };
        var trust = new Option<string[]>("--trust") { Description = "A curator's public key (KEY.pub, PEM) the auditor trusts; repeatable. Versions signed otherwise are errors, unsigned ones warnings.", AllowMultipleArgumentsPerToken = false };
        var report = new Option<string?>("--report") { Description = "Also write the report as one self-contained HTML file." };
        var functional = new Option<bool>("--functional") { Description = "Also replay each capsule's run entries (its newest audited version, or the one named) and compare every output with its reference (functional fixity; needs a carrier in the archive for the boot target)." };
        var functionalTarget = new Option<string>("--functional-target") { Description = "Where --functional runs the entries: boot (QEMU on the carrier) or container (the host's kernel, unshare).", DefaultValueFactory = _ => "boot" };
        var replayTo = new Option<string?>("--replay-to") { Description = "With --functional: keep each replay's outputs, report and console transcript under this new or empty directory (default: a temporary one, removed)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("audit", "Check that every byte is there, unchanged, signed and locked; record the audit in the journal. Exit 3 when there is an error finding.")
        {
            target, deep, sample, trust, report, functional, functionalTarget, replayTo, json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            CapsuleRef? only = parse.GetValue(target) is string t ? CommonOptions.ParseRef(t) : null;
            double? percent = parse.GetValue(sample);
            if (parse.GetValue(deep) && percent is not null)
            {
                throw new PreserveException(FailureKind.Usage, "--deep and --sample exclude each other: --deep reads everything.");
            }

            if (percent is double p && (double.IsNaN(p) || p <= 0 || p > 100))
            {
                throw new PreserveException(FailureKind.Usage, $"--sample {p.ToString(CultureInfo.InvariantCulture)}: give a percentage above 0 and at most 100.");
            }

            var trusted = new HashSet<string>(StringComparer.Ordinal);
            foreach (string file in parse.GetValue(trust) ?? [])
            {
                trusted.Add(ReadTrustedKey(file));
            }

            ReplayTarget replayTarget = parse.GetValue(functionalTarget) switch
            {
                "boot" => ReplayTarget.Boot,
                "container" => ReplayTarget.Container,
                var other => throw new PreserveException(FailureKind.Usage, $"--functional-target {other}: use boot or container."),
            };
            if (!parse.GetValue(functional) && (parse.GetResult(functionalTarget) is { Implicit: false } || parse.GetValue(replayTo) is not null))
            {
                throw new PreserveException(FailureKind.Usage, "--functional-target and --replay-to go with --functional.");
            }

            string? reportPath = parse.GetValue(report);
            ArchiveLocation location = CommonOptions.Location(parse);
            if (location.LocalPath is string dir && !Directory.Exists(dir))
            {
                throw new PreserveException(FailureKind.NotAnArchive, $"{dir} does not exist: there is no archive to audit.");
            }

            using var collector = CollectorHold.Enter();
            await using IObjectStore store = await location.CreateStoreAsync(ct);
            var options = new AuditOptions(
                only?.Name.Value,
                only?.Version,
                parse.GetValue(deep) ? FixityScope.Deep : percent is not null ? FixityScope.Sample : FixityScope.Shallow,
                percent ?? 0,
                trusted);
            AuditReport result = await ArchiveAuditor.RunAsync(store, options, ct);
            if (parse.GetValue(functional))
            {
                result = await FunctionalAsync(parse.GetValue(json), location, result, replayTarget, parse.GetValue(replayTo), ct);
            }

            // FORMAT.md §7.2: the audit is recorded. An officer reading with credentials that cannot write still
            // gets the findings; the report says the audit is not in the journal.
            string? recorded;
            try
            {
                recorded = (await AuditJournal.WriteAsync(store, result, ProducerInfo.Current, CancellationToken.None)).Key;
                CernVM.Preserve.Core.Diagnostics.Timeline.Mark("audit: recorded in the journal");
                CernVM.Preserve.Core.Diagnostics.Timeline.Runtime();
            }
            catch (Exception e) when (e is StorageException or UnauthorizedAccessException)
            {
                Output.Warn($"the audit could not be recorded in the journal ({e.Message}); its findings follow.");
                recorded = null;
            }

            if (reportPath is not null)
            {
                JournalCheck after = await JournalVerifier.VerifyAsync(store, ct);
                try
                {
                    // Written beside and renamed: an interrupted audit leaves no half report under the name.
                    string partial = $"{reportPath}.partial-{Environment.ProcessId}";
                    await File.WriteAllTextAsync(partial, HtmlReport.Render(result, after), ct);
                    File.Move(partial, reportPath, overwrite: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new PreserveException(FailureKind.Environment, $"{reportPath}: cannot write the report ({e.Message}); the audit is recorded as {recorded ?? "nothing: it could not be recorded"}.", e);
                }
            }

            if (parse.GetValue(json))
            {
                Output.Json(ToJson(result, recorded));
            }
            else
            {
                Print(result, recorded);
            }

            return result.Errors > 0 ? ExitCodes.Integrity : ExitCodes.Ok;
        });
        return cmd;
    }

    // Functional fixity: the replays run after the archive was read, one capsule at a time, into DIR/NAME-vN.
    private static async Task<AuditReport> FunctionalAsync(bool quiet, ArchiveLocation location, AuditReport result, ReplayTarget target, string? keep, CancellationToken ct)
    {
        string directory = keep ?? Directory.CreateTempSubdirectory("cvmpreserve-audit-replay-").FullName;
        if (keep is not null && Directory.Exists(keep) && Directory.EnumerateFileSystemEntries(keep).Any())
        {
            throw new PreserveException(FailureKind.Usage, $"--replay-to {keep}: the directory must be new or empty.");
        }

        try
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(location, ArchiveAccess.Read, ct);
            var check = new ReplayFunctionalCheck(archive, target, directory, ProducerInfo.Current, quiet ? null : p => Console.Error.WriteLine("  " + p + " …"));
            return await FunctionalAudit.RunAsync(
                result,
                check,
                quiet ? null : v => Console.Error.WriteLine($"replaying {v.Capsule}@v{v.Version} ({v.RunEntries} run {(v.RunEntries == 1 ? "entry" : "entries")}, {(target == ReplayTarget.Boot ? "QEMU boot" : "container")}) …"),
                ct);
        }
        finally
        {
            if (keep is null)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static string ReadTrustedKey(string file)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PreserveException(FailureKind.Usage, $"{file}: cannot read the trusted key ({e.Message}).", e);
        }

        try
        {
            return SignatureCheck.KeyIdOfPublicPem(pem);
        }
        catch (FormatException)
        {
            throw new PreserveException(FailureKind.Usage, $"{file}: not an Ed25519 public key in PEM form (a curator's KEY.pub from 'cvmpreserve key new').");
        }
    }

    private static void Print(AuditReport r, string? eventKey)
    {
        Output.Line($"archive        {r.Archive}");
        Output.Line($"versions       {r.Versions.Count} audited, {r.InterruptedVersions} interrupted");
        Output.Line($"blobs          {r.BlobsPresent:N0} present, {r.BlobsNamed:N0} named");
        Output.Line($"fixity         {r.Coverage.Scope}: {r.Coverage.BlobsChecked:N0} blobs re-hashed ({Output.Size(r.Coverage.BytesChecked)}), blob ids {r.Coverage.From}–{r.Coverage.To}, {r.FilesChecked:N0} file hashes checked");
        Output.Line($"journal        {r.Journal.Events.Count} events, chain {(r.Journal.ChainIntact ? "intact" : "BROKEN")}");
        foreach (FunctionalResult f in r.Functional)
        {
            Output.Line($"functional     {f}: {f.Verdict.ToString().ToLowerInvariant()} ({f.Mode}){(f.Verdict == FunctionalVerdict.Match ? "" : ": " + f.Detail)}");
        }

        Output.Line($"took           {Output.Duration(r.Duration)}");
        Output.Line($"recorded as    {eventKey ?? "(not recorded)"}");
        Output.Line($"result         {r.Errors} errors, {r.Warnings} warnings");
        foreach (Finding f in r.Findings)
        {
            Output.Line($"{(f.IsError ? "error  " : "warning")} {f.Code.Code} {f.Message}");
            foreach (AffectedVersion a in f.Affected.Where(a => a.Paths.Count > 0))
            {
                Output.Line($"        {a}: {string.Join(", ", a.Paths.Take(20))}{(a.Paths.Count > 20 ? $" and {a.Paths.Count - 20} more" : "")}");
            }
        }
    }

    private static JsonObject ToJson(AuditReport r, string? eventKey) => new()
    {
        ["archive"] = r.Archive,
        ["started"] = r.Started,
        ["seconds"] = Math.Round(r.Duration.TotalSeconds, 3),
        ["outcome"] = r.Outcome,
        ["errors"] = r.Errors,
        ["warnings"] = r.Warnings,
        ["event"] = eventKey,
        ["coverage"] = Core.Format.CanonicalJson.ToNode(r.Coverage),
        ["versions"] = new JsonArray([.. r.Versions.Select(v => (JsonNode)new JsonObject
        {
            ["capsule"] = v.Capsule,
            ["version"] = v.Version,
            ["manifestSha256"] = v.ManifestSha256,
            ["signed"] = v.Signed,
            ["keyId"] = v.KeyId,
        })]),
        ["interruptedVersions"] = r.InterruptedVersions,
        ["blobsPresent"] = r.BlobsPresent,
        ["blobsNamed"] = r.BlobsNamed,
        ["filesChecked"] = r.FilesChecked,
        ["journal"] = new JsonObject { ["events"] = r.Journal.Events.Count, ["chainIntact"] = r.Journal.ChainIntact, ["head"] = r.Journal.Head?.Key },
        ["functional"] = new JsonArray([.. r.Functional.Select(f => (JsonNode)new JsonObject
        {
            ["capsule"] = f.Capsule,
            ["version"] = f.Version,
            ["verdict"] = f.Verdict.ToString().ToLowerInvariant(),
            ["mode"] = f.Mode,
            ["detail"] = f.Detail,
            ["differing"] = new JsonArray([.. f.Differing.Select(d => (JsonNode)JsonValue.Create(d))]),
        })]),
        ["findings"] = new JsonArray([.. r.Findings.Select(FindingJson)]),
    };

    public static JsonNode FindingJson(Finding f) => new JsonObject
    {
        ["code"] = f.Code.Code,
        ["severity"] = f.IsError ? "error" : "warning",
        ["subject"] = f.Subject,
        ["message"] = f.Message,
        ["affected"] = new JsonArray([.. f.Affected.Select(a => (JsonNode)new JsonObject
        {
            ["capsule"] = a.Capsule,
            ["version"] = a.Version,
            ["paths"] = new JsonArray([.. a.Paths.Select(p => (JsonNode)JsonValue.Create(p))]),
        })]),
    };
}
