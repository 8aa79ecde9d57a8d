using System.Diagnostics;
using System.Text;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Replay.Boot;
using CernVM.Preserve.Replay.Carrier;
using CernVM.Preserve.Replay.Comparison;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Replay.Images;
using CernVM.Preserve.Replay.Reports;
using CernVM.Preserve.Replay.Runs;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Replay;

/// <summary>What a replay is asked to do.</summary>
public sealed record ReplayRequest
{
    /// <summary>The capsule version to replay.</summary>
    public required CapsuleRef Capsule { get; init; }

    /// <summary>The carrier capsule to boot with; null: the archive's newest carrier.</summary>
    public CapsuleRef? Carrier { get; init; }

    /// <summary>A new or empty directory for the outputs, the report and the console transcript.</summary>
    public required string Directory { get; init; }

    /// <summary>Boot the guest (else only the image and the initrd are built, and the QEMU command is given).</summary>
    public bool Boot { get; init; }

    /// <summary>Compare every output with its reference, write the report's verdict and the journal event.</summary>
    public bool Verify { get; init; }

    /// <summary>Keep the image, the initrd and the reconstituted tree (work/) after booting.</summary>
    public bool Keep { get; init; }

    /// <summary>The whole guest's time limit; null: a boot allowance plus every entry's timeout.</summary>
    public TimeSpan? GuestTimeout { get; init; }

    /// <summary>Guest memory.</summary>
    public int MemoryMegabytes { get; init; } = 512;

    /// <summary>Where the run entries run.</summary>
    public ReplayTarget Target { get; init; }

    /// <summary>Boot the environment with its console on this terminal, running no entry (a physicist looking around by hand).</summary>
    public bool Shell { get; init; }

    /// <summary>Who replays, for the journal.</summary>
    public required Producer Agent { get; init; }

    /// <summary>Which kernel boots the guest: the carrier's (the default) or the capsule's own (<c>--kernel archived</c>).</summary>
    public ReplayKernel Kernel { get; init; }
}

/// <summary>Which kernel a replay boots.</summary>
public enum ReplayKernel
{
    /// <summary>The carrier's maintained kernel.</summary>
    Carrier,

    /// <summary>The capsule's own kernel (its <c>boot</c> component), with its modules from its tree and the carrier's init.</summary>
    Archived,
}

/// <summary>What a replay produced: the report (after a boot), the work files, and the QEMU command line.</summary>
public sealed record ReplayOutcome(ReplayReport? Report, string Directory, string? Image, string? Initrd, IReadOnlyList<string> BootCommand)
{
    /// <summary>How a --shell session ended.</summary>
    public BootOutcome? Shell { get; init; }
}

/// <summary>Where the run entries run.</summary>
public enum ReplayTarget
{
    /// <summary>In a QEMU guest booted from the carrier (the default).</summary>
    Boot,

    /// <summary>In the reconstituted tree on the host's kernel, in namespaces of their own (no boot, no daemon).</summary>
    Container,
}

/// <summary>
/// One replay, start to verdict: the capsule's run entries and references from its manifest, the carrier from the
/// archive, the tree as a read-only image, the job appended to the carrier's initramfs, the boot under QEMU,
/// the outputs back from the results disk, the comparison, the report and the journal event (FORMAT.md §7,
/// <c>replay verification</c>).
/// </summary>
public sealed class ReplaySession(Archive archive, Action<string>? progress = null)
{
    /// <summary>Time a boot of the carrier may take under TCG before the first entry starts, and after the last.</summary>
    public static readonly TimeSpan BootAllowance = TimeSpan.FromSeconds(120);

    public async Task<ReplayOutcome> RunAsync(ReplayRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        var wall = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>();
        LoadedManifest m = await archive.ResolveAsync(request.Capsule, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<RunEntry> entries = RunEntry.FromManifest(m);

        bool created = !System.IO.Directory.Exists(Path.GetFullPath(request.Directory));
        string dir = PrepareDirectory(request.Directory);
        string work = Path.Combine(dir, "work");
        System.IO.Directory.CreateDirectory(work);
        bool done = false;
        try
        {
            // The references first: a reference the archive cannot give is known before anything boots.
            var references = new Dictionary<BlobId, byte[]?>();
            var referenceErrors = new Dictionary<BlobId, string>();
            foreach (RunOutput o in entries.SelectMany(e => e.Outputs))
            {
                if (!references.ContainsKey(o.ReferenceBlob))
                {
                    try
                    {
                        references[o.ReferenceBlob] = await archive.Blobs.GetAsync(o.ReferenceBlob, cancellationToken).ConfigureAwait(false);
                    }
                    catch (PreserveException e) when (e.Kind == FailureKind.Integrity)
                    {
                        references[o.ReferenceBlob] = null;
                        referenceErrors[o.ReferenceBlob] = e.Message;
                    }
                }
            }

            if (request.Boot && request.Target == ReplayTarget.Boot)
            {
                QemuBoot.Locate();
            }

            string treeDir = Path.Combine(work, "tree");
            progress?.Invoke($"reconstituting the tree of {m.Capsule}@v{m.Version}");
            ReconstitutedTree tree = await TreeReconstitution.RestoreAsync(archive, m, treeDir, cancellationToken).ConfigureAwait(false);
            timings["restore"] = tree.Elapsed.TotalSeconds;
            var decisions = new List<string>();
            string mode;
            CarrierUse? carrierUse = null;
            LoadedManifest? carrierVersion = null;
            string? kernelArgs = null;
            BootOutcome? outcome = null;
            ReplayResults? results;
            var clock = Stopwatch.StartNew();
            if (request.Target == ReplayTarget.Container)
            {
                mode = "container: unshare on the host kernel " + (File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "");
                decisions.Add("container target: the run entries ran in the reconstituted tree on this host's kernel (own mount and PID namespaces, fresh /proc), not on the carrier");
                decisions.AddRange(tree.Notes.Select(n => "tree: " + n));
                progress?.Invoke($"running {entries.Count} run entries of {m.Capsule}@v{m.Version} in a container");
                results = await ContainerRunner.RunAsync(treeDir, entries, CernVM.Preserve.Posix.PosixFs.IsPrivileged, cancellationToken).ConfigureAwait(false);
                timings["run"] = clock.Elapsed.TotalSeconds;
            }
            else
            {
                progress?.Invoke("fetching the carrier");
                var carriers = new CarrierCapsules(archive);
                carrierVersion = await carriers.ResolveAsync(request.Carrier, cancellationToken).ConfigureAwait(false);
                CarrierKit kit = await carriers.FetchAsync(carrierVersion, Path.Combine(work, "carrier"), cancellationToken).ConfigureAwait(false);
                carrierUse = new CarrierUse(carrierVersion.Capsule.Value, carrierVersion.Version, kit.Describe());
                ArchivedKernelPlan? archived = null;
                if (request.Kernel == ReplayKernel.Archived)
                {
                    // Before the image is built: a kernel that cannot boot the replay is said at once.
                    archived = await ArchivedKernel.PrepareAsync(archive, m, treeDir, kit, work, cancellationToken).ConfigureAwait(false);
                    decisions.AddRange(archived.Notes);
                    kit = archived.Kit;
                }

                UserlandDecision userland = LegacyUserland.Decide(m.Manifest.Components?.Os, kit);

                progress?.Invoke($"building the image of {m.Capsule}@v{m.Version}");
                string image = Path.Combine(work, "image.ext4");
                TreeImage built = await TreeImageBuilder.BuildAsync(tree, image, cancellationToken).ConfigureAwait(false);
                if (!CernVM.Preserve.Posix.PosixFs.IsPrivileged)
                {
                    // A user's restore could not give the files their owners nor make device nodes: the image gets them.
                    LoadedTree recorded = await TreeLoader.LoadAsync(archive, m, cancellationToken).ConfigureAwait(false);
                    decisions.AddRange((await ImageOwnership.ApplyAsync(recorded.Entries, treeDir, image, cancellationToken).ConfigureAwait(false)).Select(n => "image: " + n));
                }

                timings["image"] = built.ImageTime.TotalSeconds;
                decisions.AddRange(userland.Reasons);
                decisions.AddRange(built.Notes.Select(n => "image: " + n));

                clock.Restart();
                string initrd = Path.Combine(work, "initrd.img");
                WriteInitrd(kit, ReplayJob.Write(request.Shell ? [] : entries, built.FileSystem, request.Shell), archived?.ModuleFiles, initrd);
                string resultsDisk = Path.Combine(work, "results.raw");
                long referenceBytes = references.Values.Sum(r => (long?)r?.Length ?? 0);
                ResultsDisk.Create(resultsDisk, Math.Max(256L << 20, (referenceBytes * 4) + (64L << 20)));
                timings["initrd"] = clock.Elapsed.TotalSeconds;

                // panic=-1 with QEMU's -no-reboot turns a panic into an exit; no_timer_check: under TCG on a busy host
                // the kernel's IO-APIC timer test can fail and panic ("IO-APIC + timer doesn't work!"), seen here.
                kernelArgs = string.Join(' ', new[] { "console=ttyS0", "quiet", "panic=-1", "no_timer_check" }.Concat(archived?.RecordedArguments ?? []).Concat(userland.KernelArguments).Distinct(StringComparer.Ordinal));
                TimeSpan timeout = request.GuestTimeout ?? BootAllowance + entries.Aggregate(TimeSpan.Zero, (t, e) => t + e.Timeout);
                string transcript = Path.Combine(dir, "console.log");
                var boot = new BootRequest(kit.Kernel, initrd, image, resultsDisk, kernelArgs, transcript, request.Shell ? request.GuestTimeout ?? TimeSpan.FromHours(12) : timeout, request.MemoryMegabytes, Console: request.Shell);
                if (!request.Boot)
                {
                    done = true;
                    return new ReplayOutcome(null, dir, image, initrd, QemuBoot.CommandLine("qemu-system-x86_64", boot));
                }

                AcceleratorChoice accelerator = await AcceleratorProbe.ChooseAsync(QemuBoot.Locate(), kit.Kernel, kit.Initramfs, work, cancellationToken).ConfigureAwait(false);
                decisions.Add($"accelerator {accelerator.Name}: {accelerator.Reason}");
                boot = boot with { Accelerator = accelerator.Name };
                progress?.Invoke($"booting {m.Capsule}@v{m.Version} on {carrierVersion.Capsule}@v{carrierVersion.Version} (QEMU, {accelerator.Name.ToUpperInvariant()}, at most {timeout.TotalSeconds:0} s)");
                outcome = await QemuBoot.RunAsync(boot, cancellationToken).ConfigureAwait(false);
                timings["boot"] = outcome.Elapsed.TotalSeconds;
                mode = "boot: QEMU " + outcome.Accelerator + (archived is null ? ", carrier kernel" : $", the capsule's own kernel {kit.KernelRelease}");
                if (request.Shell)
                {
                    // A console session verifies nothing: no report, no journal event; the exit says how it ended.
                    done = true;
                    return new ReplayOutcome(null, dir, null, null, outcome.CommandLine) { Shell = outcome };
                }

                results = outcome.End == GuestEnd.Completed ? ResultsDisk.Read(resultsDisk) : null;
            }

            clock.Restart();
            var entryReports = new List<EntryReport>();
            ReplayVerdict verdict;
            if (results is null)
            {
                entryReports.AddRange(entries.Select(e => new EntryReport(e.Name, null, null, false, null, e.Outputs.Select(o => new OutputReport(o.Path, o.Comparison.Rule, OutputVerdict.Missing, "the guest did not finish", 0, null)).ToList())));
                verdict = ReplayVerdict.GuestFailed;
            }
            else
            {
                entryReports.AddRange(Collect(entries, results, references, referenceErrors, dir, request.Verify));
                bool allMatch = entryReports.All(e => e.ExitCode == 0 && !e.TimedOut && e.Outputs.All(o => o.Verdict is OutputVerdict.Match or OutputVerdict.NotCompared));
                verdict = entries.Count == 0 ? ReplayVerdict.NothingToVerify
                    : !allMatch ? ReplayVerdict.Differ
                    : request.Verify ? ReplayVerdict.Match : ReplayVerdict.NotVerified;
            }

            timings["collect"] = clock.Elapsed.TotalSeconds;
            var report = new ReplayReport(
                m.Capsule.Value, m.Version, m.Sha256, mode, carrierUse,
                kernelArgs, decisions, outcome?.End, outcome?.Reason, entryReports, verdict, started, wall.Elapsed.TotalSeconds, timings);
            report.WriteTo(dir);
            if (request.Verify)
            {
                await archive.WriteEventAsync(
                    new PreservationEvent
                    {
                        EventId = Guid.NewGuid().ToString("N"),
                        EventType = "replay verification",
                        DateTime = ArchiveTime.Format(DateTimeOffset.UtcNow),
                        Agent = request.Agent,
                        Outcome = verdict switch { ReplayVerdict.Match => "success", ReplayVerdict.NothingToVerify => "warning", _ => "failure" },
                        Objects = [new EventObject(m.Capsule.Value, m.Version, m.Sha256), .. carrierVersion is null ? [] : new[] { new EventObject(carrierVersion.Capsule.Value, carrierVersion.Version, carrierVersion.Sha256) }],
                        Detail = Detail(report),
                    },
                    CancellationToken.None).ConfigureAwait(false);
            }

            done = true;
            return new ReplayOutcome(report, dir, null, null, outcome?.CommandLine ?? []);
        }
        finally
        {
            // Without --keep the work files go; a failure before the report leaves no report and no work files,
            // only what was written whole (the console transcript, when a guest ran).
            if (!request.Keep && (request.Boot || !done))
            {
                TryDelete(work);
            }

            if (!done && created && !System.IO.Directory.EnumerateFileSystemEntries(dir).Any())
            {
                TryDelete(dir);
            }
        }
    }

    private static IEnumerable<EntryReport> Collect(IReadOnlyList<RunEntry> entries, ReplayResults r, Dictionary<BlobId, byte[]?> references, Dictionary<BlobId, string> referenceErrors, string dir, bool verify)
    {
        for (int i = 0; i < entries.Count; i++)
        {
            RunEntry e = entries[i];
            EntryStatus? status = r.Entries.GetValueOrDefault(i + 1);
            string? log = null;
            if (status is not null)
            {
                System.IO.Directory.CreateDirectory(Path.Combine(dir, "logs"));
                log = Path.Combine("logs", SafeName(e.Name) + ".log");
                File.WriteAllBytes(Path.Combine(dir, log), status.Log);
            }

            // busybox timeout kills with SIGKILL: the shell reports 128 + 9.
            bool timedOut = status is not null && status.ExitCode == 137 && status.Elapsed >= e.Timeout - TimeSpan.FromSeconds(1);
            var outputs = new List<OutputReport>();
            for (int k = 0; k < e.Outputs.Count; k++)
            {
                RunOutput o = e.Outputs[k];
                if (!r.Outputs.TryGetValue((i + 1, k + 1), out byte[]? actual))
                {
                    outputs.Add(new OutputReport(o.Path, o.Comparison.Rule, OutputVerdict.Missing, timedOut ? "the entry exceeded its timeout" : "the entry left no such file", 0, null));
                    continue;
                }

                string file = Path.Combine("outputs", SafeName(e.Name), o.Path.TrimStart('/'));
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, file))!);
                File.WriteAllBytes(Path.Combine(dir, file), actual);
                if (!verify)
                {
                    outputs.Add(new OutputReport(o.Path, o.Comparison.Rule, OutputVerdict.NotCompared, null, 0, file));
                    continue;
                }

                if (references[o.ReferenceBlob] is not byte[] reference)
                {
                    outputs.Add(new OutputReport(o.Path, o.Comparison.Rule, OutputVerdict.ReferenceMissing, referenceErrors[o.ReferenceBlob], 0, file));
                    continue;
                }

                ComparisonResult c = o.Comparison.Compare(actual, reference);
                string? first = c.Differences.Count == 0 ? null
                    : $"line {c.Differences[0].Line}: {c.Differences[0].Reason}: expected '{c.Differences[0].Expected}', got '{c.Differences[0].Actual}'";
                outputs.Add(new OutputReport(o.Path, c.Rule, c.Equal ? OutputVerdict.Match : OutputVerdict.Differ, first, c.DifferenceCount, file));
            }

            yield return new EntryReport(e.Name, status?.ExitCode, status?.Elapsed.TotalSeconds, timedOut, log, outputs);
        }
    }

    // FORMAT.md §7: the detail is free text; it says what ran where and what came out.
    private static string Detail(ReplayReport r)
    {
        var s = new StringBuilder($"replay of {r.Capsule}@v{r.Version}{(r.Carrier is null ? "" : $" on carrier {r.Carrier.Capsule}@v{r.Carrier.Version}")} ({r.Mode}): {r.Verdict}");
        foreach (EntryReport e in r.Entries)
        {
            s.Append($"; {e.Name}: exit {e.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, ");
            s.Append(string.Join(", ", e.Outputs.Select(o => $"{o.Path} {o.Verdict}")));
        }

        if (r.GuestEnd is not (null or GuestEnd.Completed))
        {
            s.Append("; ").Append(r.GuestReason);
        }

        return s.ToString();
    }

    // The job, and for an archived kernel its modules and the list the carrier's init loads (replacing the carrier's
    // own list: a later archive's file overwrites an earlier one's).
    private static void WriteInitrd(CarrierKit kit, string job, IReadOnlyList<(string Path, byte[] Content)>? modules, string path)
    {
        var cpio = new NewcArchive();
        cpio.AddDirectory("job");
        cpio.AddFile("job/job.sh", Encoding.UTF8.GetBytes(job));
        if (modules is not null)
        {
            var made = new HashSet<string>(StringComparer.Ordinal);
            foreach ((string module, byte[] content) in modules)
            {
                string full = "lib/modules/" + module;
                for (int i = full.IndexOf('/', StringComparison.Ordinal); i > 0; i = full.IndexOf('/', i + 1))
                {
                    if (made.Add(full[..i]))
                    {
                        cpio.AddDirectory(full[..i]);
                    }
                }

                cpio.AddFile(full, content);
            }

            cpio.AddDirectory("etc");
            cpio.AddDirectory("etc/carrier");
            cpio.AddFile("etc/carrier/modules", Encoding.UTF8.GetBytes(string.Concat(modules.Select(x => x.Path + "\n"))));
        }

        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using (FileStream carrier = File.OpenRead(kit.Initramfs))
        {
            carrier.CopyTo(f);
        }

        // The kernel reads a further archive only at a 4-byte boundary; zeros between archives are skipped.
        f.Write(new byte[(int)((512 - (f.Position % 512)) % 512)]);
        f.Write(cpio.ToArray());
    }

    private static string PrepareDirectory(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (File.Exists(full) || (System.IO.Directory.Exists(full) && System.IO.Directory.EnumerateFileSystemEntries(full).Any()))
        {
            throw new PreserveException(FailureKind.Usage, $"{full}: the replay directory must be new or empty.");
        }

        System.IO.Directory.CreateDirectory(full);
        return full;
    }

    private static string SafeName(string name)
    {
        string s = new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
        return s.Length == 0 || s[0] == '.' ? "_" + s : s;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (System.IO.Directory.Exists(directory))
            {
                // The reconstituted tree may hold read-only directories; make them writable to remove them.
                foreach (string d in System.IO.Directory.EnumerateDirectories(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
                {
                    CernVM.Preserve.Posix.PosixFs.Chmod(CernVM.Preserve.Posix.PosixFs.FromString(d), 0x1c0);
                }

                System.IO.Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leftover work files do not change the verdict; the report stands.
        }
    }
}
