using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Archiver;
using System.CommandLine;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Replay;
using CernVM.Preserve.Replay.Reports;
using CernVM.Preserve.Replay.Runs;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

/// <summary><c>replay</c>: a capsule booted on the carrier, its run entries executed, its outputs compared.</summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        var to = new Option<string?>("--to", "-t") { Description = "A new or empty directory for the outputs, the report and the console transcript (default: ./replay-NAME-vN-TIME)." };
        var boot = new Option<bool>("--boot") { Description = "Boot the capsule under QEMU (TCG) and run its run entries; without it, only the image and the initrd are built." };
        var verify = new Option<bool>("--verify") { Description = "Compare every output with its reference; write the report and a 'replay verification' journal event (implies --boot)." };
        var keep = new Option<bool>("--keep") { Description = "Keep the image, the initrd and the reconstituted tree (DIR/work)." };
        var carrier = new Option<string?>("--carrier") { Description = "The carrier capsule (NAME[@vN]); default: the archive's newest ('cvmpreserve carrier list')." };
        var guestTimeout = new Option<string?>("--guest-timeout") { Description = "Time limit of the whole guest (30s, 10m); default: 2 minutes plus every run entry's timeout." };
        var target = new Option<string>("--target") { Description = "Where the run entries run: boot (a QEMU guest on the carrier) or container (the reconstituted tree on this host's kernel, unshare, no boot).", DefaultValueFactory = _ => "boot" };
        var shell = new Option<bool>("--shell") { Description = "Boot the environment with its console on this terminal (a shell inside the tree; nothing written is kept); runs no entry." };
        var kernel = new Option<string>("--kernel") { Description = "Which kernel boots the guest: carrier (the carrier's maintained kernel) or archived (the capsule's own, from its boot component, with its modules from its tree; refused before booting when it lacks what the replay needs).", DefaultValueFactory = _ => "carrier" };
        var memory = new Option<int>("--memory") { Description = "Guest memory in MiB.", DefaultValueFactory = _ => 512 };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("replay", "Boot a capsule on today's QEMU without network, run its run entries and compare every output with its reference.")
        {
            reference, to, boot, verify, keep, carrier, guestTimeout, target, shell, kernel, memory, json,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            CapsuleRef capsule = CommonOptions.ParseRef(parse.GetValue(reference));
            TimeSpan? limit = null;
            if (parse.GetValue(guestTimeout) is string g)
            {
                limit = RunEntry.TryParseDuration(g, out TimeSpan t) && t > TimeSpan.Zero ? t : throw new PreserveException(FailureKind.Usage, $"--guest-timeout {g}: write a duration such as 90s or 10m.");
            }

            ReplayTarget where = parse.GetValue(target) switch
            {
                "boot" => ReplayTarget.Boot,
                "container" => ReplayTarget.Container,
                var other => throw new PreserveException(FailureKind.Usage, $"--target {other}: use boot or container."),
            };
            ReplayKernel which = parse.GetValue(kernel) switch
            {
                "carrier" => ReplayKernel.Carrier,
                "archived" => ReplayKernel.Archived,
                var other => throw new PreserveException(FailureKind.Usage, $"--kernel {other}: use carrier or archived."),
            };
            if (which == ReplayKernel.Archived && where == ReplayTarget.Container)
            {
                throw new PreserveException(FailureKind.Usage, "--kernel archived boots the capsule's kernel; --target container runs on this host's kernel: choose one.");
            }

            if (parse.GetValue(shell) && (parse.GetValue(verify) || where == ReplayTarget.Container))
            {
                throw new PreserveException(FailureKind.Usage, "--shell boots the environment for a person at the console; it cannot be combined with --verify or --target container.");
            }

            int mib = parse.GetValue(memory);
            if (mib is < 128 or > 65536)
            {
                throw new PreserveException(FailureKind.Usage, $"--memory {mib}: use 128 to 65536 MiB.");
            }

            string directory = parse.GetValue(to) ?? $"replay-{capsule.Name}{(capsule.Version is int v ? "-v" + v : "")}-{DateTime.UtcNow:yyyyMMddTHHmmss}";
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            bool asJson = parse.GetValue(json);
            var session = new ReplaySession(archive, asJson ? null : (string p) => Console.Error.WriteLine(p + " …"));
            ReplayOutcome o = await session.RunAsync(
                new ReplayRequest
                {
                    Capsule = capsule,
                    Carrier = parse.GetValue(carrier) is string c ? CommonOptions.ParseRef(c) : null,
                    Directory = directory,
                    Boot = parse.GetValue(boot) || parse.GetValue(verify) || parse.GetValue(shell) || where == ReplayTarget.Container,
                    Target = where,
                    Kernel = which,
                    Shell = parse.GetValue(shell),
                    Verify = parse.GetValue(verify),
                    Keep = parse.GetValue(keep),
                    GuestTimeout = limit,
                    MemoryMegabytes = mib,
                    Agent = ProducerInfo.Current,
                },
                ct);

            if (o.Shell is { } console)
            {
                if (console.End != CernVM.Preserve.Replay.Boot.GuestEnd.Completed)
                {
                    Output.Error($"the shell session ended: {console.Reason}.");
                    return ExitCodes.Environment;
                }

                return ExitCodes.Ok;
            }

            if (o.Report is not ReplayReport r)
            {
                Output.Line($"image   {o.Image}");
                Output.Line($"initrd  {o.Initrd}");
                Output.Line("boot it with --boot, or by hand:");
                Output.Line("  " + string.Join(' ', o.BootCommand.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a)));
                return ExitCodes.Ok;
            }

            if (asJson)
            {
                System.Text.Json.Nodes.JsonObject node = r.ToJson();
                node["directory"] = o.Directory;
                Output.Json(node);
            }
            else
            {
                Console.Out.Write(r.ToText());
                Output.Line($"report  {Path.Combine(o.Directory, "report.txt")} (and report.json{(File.Exists(Path.Combine(o.Directory, "console.log")) ? ", console.log" : "")})");
            }

            switch (r.Verdict)
            {
                case ReplayVerdict.GuestFailed:
                    Output.Error($"the replay did not finish: {r.GuestReason}; the console transcript is {Path.Combine(o.Directory, "console.log")}.");
                    return ExitCodes.Environment;
                case ReplayVerdict.Differ:
                    Output.Error("the replay does not reproduce the reference: see the table above.");
                    return ExitCodes.Integrity;
                case ReplayVerdict.NothingToVerify:
                    Output.Warn($"{r.Capsule}@v{r.Version} has no run entry: it booted, there was nothing to verify.");
                    return ExitCodes.Ok;
                default:
                    return ExitCodes.Ok;
            }
        });
        return cmd;
    }
}
