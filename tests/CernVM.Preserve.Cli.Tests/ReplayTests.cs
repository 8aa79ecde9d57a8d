using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// One archive for the replay tests: the carrier kit (tools/make-carrier.sh from the real Debian packages, kept in
/// the test cache), imported with `carrier import`, and the demo capsule of tools/make-demo-env.sh.
/// </summary>
public sealed class ReplayArchive : IDisposable
{
    public ReplayArchive()
    {
        Kit = CarrierKit();
        Dir = new TempDir("cvmp-replay-");
        CliRunner.Sh($"'{CliRunner.RepoRoot}/tools/make-demo-env.sh' '{Dir["env"]}'");
        Require(CliRunner.Run("init", Archive));
        Import = Require(CliRunner.Run("carrier", "import", Kit, "--archive", Archive));
        Require(CliRunner.Run("snapshot", Spec("demo.yaml", Dir["env"]), "--archive", Archive));
    }

    public TempDir Dir { get; }

    public string Kit { get; }

    public string Archive => Dir["a"];

    public CliResult Import { get; }

    /// <summary>The demo spec (fixtures/demo/capsule.yaml) pointed at a copy of the demo tree.</summary>
    public string Spec(string name, string env)
    {
        string spec = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "fixtures/demo/capsule.yaml")).Replace("../../out/demo-env", env);
        File.WriteAllText(Dir[name], spec);
        return Dir[name];
    }

    public static CliResult Require(CliResult r) => r.ExitCode == 0 ? r : throw new InvalidOperationException(r.ToString());

    /// <summary>The kit, built once into the test cache (tools/install-test-deps.sh builds it too).</summary>
    public static string CarrierKit()
    {
        string cache = Environment.GetEnvironmentVariable("CVMPRESERVE_TEST_CACHE") is { Length: > 0 } c ? c : "/var/tmp/cvmpreserve-test-cache";
        string kit = Path.Combine(cache, "carrier-kit");
        if (!File.Exists(Path.Combine(kit, "carrier.json")))
        {
            string building = $"{kit}.{Environment.ProcessId}";
            CliRunner.Sh($"rm -rf '{building}' && '{CliRunner.RepoRoot}/tools/make-carrier.sh' '{building}' >/dev/null && (mv -T '{building}' '{kit}' 2>/dev/null || rm -rf '{building}')");
        }

        return kit;
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary>
/// `cvmpreserve carrier` and `cvmpreserve replay`: capsules booted from the archive on the real QEMU under TCG,
/// their run entries executed in the guest, outputs compared; faults end in clear verdicts within their limits.
/// </summary>
public class ReplayTests(ReplayArchive fixture) : IClassFixture<ReplayArchive>
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    private CliResult Replay(string dir, params string[] args) =>
        CliRunner.Run(Limit, null, ["replay", .. args, "--to", fixture.Dir[dir], "--archive", fixture.Archive]);

    [Fact]
    public void CarrierImport_Kit_ListedWithKernelAndPackages()
    {
        Assert.Matches(@"^carrier carrier-[0-9.]+-[0-9]+-cloud-amd64@v1: linux [0-9.]+-[0-9]+-cloud-amd64, linux-image-\S+ \S+, busybox-static \S+", fixture.Import.Stdout);
        CliResult list = CliRunner.Run("carrier", "list", "--json", "--archive", fixture.Archive);
        Assert.Equal(0, list.ExitCode);
        JsonNode c = JsonNode.Parse(list.Stdout)!["carriers"]![0]!;
        Assert.StartsWith("carrier-", (string)c["capsule"]!);
        Assert.Contains("busybox-static", (string)c["title"]!);

        // The kit is reproducible: the archived kernel and initramfs are the cache's bytes.
        string carrier = (string)c["capsule"]!;
        foreach (string f in new[] { "vmlinuz", "initramfs.cpio.gz", "carrier.json" })
        {
            string archived = CliRunner.Sh($"{CliRunner.ShellCommand} cat {carrier} /{f} --archive '{fixture.Archive}' | sha256sum");
            Assert.Equal(CliRunner.Sh($"sha256sum < '{fixture.Kit}/{f}'"), archived);
        }
    }

    [Fact]
    public void CarrierImport_NotAKit_Exits2NamingTheDirectory()
    {
        CliResult r = CliRunner.Run("carrier", "import", fixture.Dir["env"], "--archive", fixture.Archive);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{fixture.Dir["env"]}: not a carrier kit (no carrier.json", r.Stderr);
    }

    [Fact]
    public void ReplayVerify_DemoCapsule_BootsRunsAndMatchesBothOutputs()
    {
        var clock = Stopwatch.StartNew();
        CliResult r = Replay("match", "demo-aleph", "--verify");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(@"alpha-histogram\s+/tmp/alpha-out/histogram.txt\s+exact\s+match", r.Stdout);
        Assert.Matches(@"alpha-histogram\s+/tmp/alpha-out/alpha.log\s+numeric \(relTol 1E-09, absTol 1E-12\)\s+match", r.Stdout);
        Assert.Contains("decided    x86_64 userland of Scientific Linux 4.7 (glibc older than 2.15 calls the vsyscall page): vsyscall=emulate", r.Stdout);

        // The report names the carrier, the outputs came back from the guest, the console transcript is kept.
        JsonNode report = JsonNode.Parse(File.ReadAllText(fixture.Dir["match/report.json"]))!;
        Assert.Equal("match", (string)report["verdict"]!);
        Assert.Equal("completed", (string)report["guest"]!["end"]!);
        Assert.StartsWith("carrier-", (string)report["carrier"]!["capsule"]!);
        Assert.Equal(1, (int)report["carrier"]!["version"]!);
        Assert.Equal(0, (int)report["entries"]![0]!["exitCode"]!);
        Assert.Equal(File.ReadAllBytes(fixture.Dir["env/aleph/reference/histogram.txt"]), File.ReadAllBytes(fixture.Dir["match/outputs/alpha-histogram/tmp/alpha-out/histogram.txt"]));
        string console = File.ReadAllText(fixture.Dir["match/console.log"]);
        Assert.Contains("CVMPRESERVE-ENTRY-END 1 exit=0", console);
        Assert.Contains("CVMPRESERVE-REPLAY-DONE", console);
        Assert.False(Directory.Exists(fixture.Dir["match/work"]), "the work files go without --keep");

        // The journal holds the verification, naming the capsule and the carrier versions.
        JsonNode ev = Journal().Last(e => (string)e["eventType"]! == "replay verification" && ((string)e["detail"]!).Contains("demo-aleph@v1", StringComparison.Ordinal))!;
        Assert.Equal("success", (string)ev["outcome"]!);
        Assert.Equal(["demo-aleph", (string)report["carrier"]!["capsule"]!], ev["objects"]!.AsArray().Select(o => (string)o!["capsule"]!));
        Assert.True(clock.Elapsed < Limit);
    }

    [Fact]
    public void ReplayVerify_ChangedReferenceAndEntryOverItsTimeout_Exits3ShowingTheDifference()
    {
        // The same demo tree with one reference line changed on purpose, and a second entry that outlives its timeout.
        CliRunner.Sh($"cp -a '{fixture.Dir["env"]}' '{fixture.Dir["env-changed"]}' && sed -i '3s/.*/changed on purpose/' '{fixture.Dir["env-changed"]}/aleph/reference/histogram.txt' && printf 'sleep 60\\n' > '{fixture.Dir["env-changed"]}/aleph/slow.sh'");
        string spec = File.ReadAllText(fixture.Spec("changed.yaml", fixture.Dir["env-changed"])).Replace("name: demo-aleph", "name: demo-changed")
            + "  - name: slow\n    interpreter: /bin/sh\n    script: /aleph/slow.sh\n    timeout: 3s\n    outputs:\n      - path: /tmp/never\n        reference: /aleph/reference/histogram.txt\n";
        File.WriteAllText(fixture.Dir["changed.yaml"], spec);
        ReplayArchive.Require(CliRunner.Run("snapshot", fixture.Dir["changed.yaml"], "--archive", fixture.Archive));

        CliResult r = Replay("changed", "demo-changed", "--verify");
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Matches(@"alpha-histogram\s+/tmp/alpha-out/histogram.txt\s+exact\s+differ\s+line 3: first difference at byte offset \d+", r.Stdout);
        Assert.Matches(@"alpha-histogram\s+/tmp/alpha-out/alpha.log\s+numeric.*match", r.Stdout);
        Assert.Contains("entry      slow: exceeded its timeout, killed after", r.Stdout);
        Assert.Matches(@"slow\s+/tmp/never\s+exact\s+missing \(entry timed out\)\s+the entry exceeded its timeout", r.Stdout);
        Assert.Contains("does not reproduce the reference", r.Stderr);
        JsonNode report = JsonNode.Parse(File.ReadAllText(fixture.Dir["changed/report.json"]))!;
        Assert.Equal("differ", (string)report["verdict"]!);
        Assert.True((bool)report["entries"]![1]!["timedOut"]!);
        Assert.Equal("failure", (string)Journal().Last(e => ((string)e["detail"]!).Contains("demo-changed@v1", StringComparison.Ordinal))["outcome"]!);
    }

    [Fact]
    public void ReplayContainer_DemoCapsule_MatchesOnTheHostKernelWithoutBooting()
    {
        CliResult r = Replay("container", "demo-aleph", "--target", "container", "--verify");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("mode       container: unshare on the host kernel", r.Stdout);
        Assert.Matches(@"alpha-histogram\s+/tmp/alpha-out/histogram.txt\s+exact\s+match", r.Stdout);
        Assert.Matches(@"alpha-histogram\s+/tmp/alpha-out/alpha.log\s+numeric.*match", r.Stdout);
        JsonNode report = JsonNode.Parse(File.ReadAllText(fixture.Dir["container/report.json"]))!;
        Assert.StartsWith("container", (string)report["mode"]!, StringComparison.Ordinal);
        Assert.Null(report["carrier"]);
        Assert.False(File.Exists(fixture.Dir["container/console.log"]));
        Assert.Single(Journal(), e => ((string)e["detail"]!).StartsWith("replay of demo-aleph@v1 (container", StringComparison.Ordinal));
    }

    [Fact]
    public void ReplayContainer_EntryOverItsTimeout_KilledAndExit3()
    {
        Assert.Equal(0, FaultCapsule("container-slow", "sleep 60", "2s").ExitCode);
        var clock = Stopwatch.StartNew();
        CliResult r = Replay("container-slow", "container-slow", "--target", "container", "--verify");
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("entry      fault: exceeded its timeout, killed after", r.Stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), $"took {clock.Elapsed}");
    }

    [Fact]
    public void ReplayVerify_I386DebianTree_RunsThroughIa32EmulationWithTheTreesOwn32BitTools()
    {
        // A real 32-bit tree (debootstrap --arch=i386 --variant=minbase bookworm) with a run entry; its shell,
        // getconf and dpkg are the tree's own i386 binaries, run by the carrier's x86_64 kernel.
        string tree = fixture.Dir["env-i386"];
        CliRunner.Sh($"cp -a '{I386Tree()}' '{tree}' && mkdir -p '{tree}/ref' && printf '32\\ni386\\n' > '{tree}/ref/arch.txt' && " +
            $"printf 'mkdir -p /tmp/out\\n{{ getconf LONG_BIT; dpkg --print-architecture; }} > /tmp/out/arch.txt\\n' > '{tree}/ref/run.sh'");
        File.WriteAllText(fixture.Dir["i386.yaml"], $"name: bookworm-i386\nos:\n  rootfs: {tree}\nrun:\n  - name: arch\n    interpreter: /bin/sh\n    script: /ref/run.sh\n    timeout: 2m\n    outputs:\n      - path: /tmp/out/arch.txt\n        reference: /ref/arch.txt\n");
        ReplayArchive.Require(CliRunner.Run(Limit, null, "snapshot", fixture.Dir["i386.yaml"], "--archive", fixture.Archive));
        Assert.Equal("i386", (string)JsonNode.Parse(CliRunner.Run("show", "bookworm-i386", "--json", "--archive", fixture.Archive).Stdout)!["manifest"]!["components"]!["os"]!["architecture"]!);

        CliResult r = Replay("i386", "bookworm-i386", "--verify");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("decided    i386 userland: runs through the carrier kernel's IA-32 emulation (CONFIG_IA32_EMULATION=y)", r.Stdout);
        Assert.Matches(@"arch\s+/tmp/out/arch.txt\s+exact\s+match", r.Stdout);
        Assert.Equal("32\ni386\n", File.ReadAllText(fixture.Dir["i386/outputs/arch/tmp/out/arch.txt"]));
    }

    private static string I386Tree()
    {
        string cache = Environment.GetEnvironmentVariable("CVMPRESERVE_TEST_CACHE") is { Length: > 0 } c ? c : "/var/tmp/cvmpreserve-test-cache";
        string tree = Path.Combine(cache, "debootstrap-bookworm-i386");
        if (Directory.Exists(Path.Combine(tree, "var/lib/dpkg")))
        {
            return tree;
        }

        // The mirror this machine's apt uses; never a host written into the project.
        string mirror = CliRunner.Sh(
            "awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null; true; " +
            "awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null; true").Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
            ?? throw new InvalidOperationException("no Debian mirror configured in /etc/apt");
        string building = $"{tree}.{Environment.ProcessId}";
        CliRunner.Sh($"debootstrap --arch=i386 --variant=minbase bookworm '{building}' '{mirror}' > '{building}.log' 2>&1 || {{ tail -20 '{building}.log' >&2; exit 1; }}");
        CliRunner.Sh($"mv -T '{building}' '{tree}' 2>/dev/null || rm -rf '{building}'; rm -f '{building}.log'");
        return tree;
    }

    [Fact]
    public void ReplayShell_CommandsOnTheConsole_RunInsideTheEnvironmentAndNothingIsKept()
    {
        // Typed as a person would: only once the shell is up and idle (its marker seen, then no output for three
        // seconds). Input piped in at once raced the guest's boot: on a loaded machine the shell, starting late,
        // lost it and waited for ever. busybox ash asks the terminal for its cursor position and eats a few typed
        // characters: a line of ':' (no-op commands) goes first.
        string io = fixture.Dir["shell-io"];
        Directory.CreateDirectory(io);
        string script = Path.Combine(io, "drive.sh");
        File.WriteAllText(script, $$"""
            set -u
            mkfifo '{{io}}/in'
            timeout 300 {{CliRunner.ShellCommand}} replay demo-aleph --shell --to '{{fixture.Dir["shell"]}}' --archive '{{fixture.Archive}}' < '{{io}}/in' > '{{io}}/out' 2>&1 &
            exec 3> '{{io}}/in'
            for i in $(seq 1 240); do grep -q CVMPRESERVE-SHELL '{{io}}/out' && break; sleep 1; done
            last=-1; still=0
            for i in $(seq 1 120); do
              size=$(stat -c %s '{{io}}/out'); if [ "$size" = "$last" ]; then still=$((still + 1)); else still=0; fi
              [ $still -ge 3 ] && break; last=$size; sleep 1
            done
            printf '::::::::::::::::::::::::::::::\ncat /etc/redhat-release\necho written > /etc/hostname\nexit\n' >&3
            exec 3>&-
            wait
            cat '{{io}}/out'
            """);
        string seen = CliRunner.Sh($"bash '{script}'");
        Assert.Contains("CVMPRESERVE-SHELL", seen);
        Assert.Contains("\nScientific Linux SL release 4.7 (Beryllium)", seen);
        Assert.Contains("CVMPRESERVE-REPLAY-DONE", seen);
        Assert.Empty(Directory.EnumerateFileSystemEntries(fixture.Dir["shell"]));
        Assert.Equal("demo\n", CliRunner.Run("cat", "demo-aleph", "/etc/hostname", "--archive", fixture.Archive).Stdout);
    }

    [Fact]
    public void ReplayVerify_PanickingGuest_Exits6WithThePanicWithinItsTimeout()
    {
        Assert.Equal(0, FaultCapsule("replay-panic", "echo c > /proc/sysrq-trigger", "5m").ExitCode);
        var clock = Stopwatch.StartNew();
        CliResult r = Replay("panic", "replay-panic", "--verify");
        Assert.True(r.ExitCode == 6, r.ToString());
        Assert.Contains("guest      panicked: the guest kernel panicked: Kernel panic", r.Stdout);
        Assert.Contains("the replay did not finish: the guest kernel panicked", r.Stderr);
        Assert.Equal("guest-failed", (string)JsonNode.Parse(File.ReadAllText(fixture.Dir["panic/report.json"]))!["verdict"]!);
        Assert.Contains("sysrq: Trigger a crash", File.ReadAllText(fixture.Dir["panic/console.log"]));
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public void ReplayVerify_HangingGuest_StoppedAtTheGuestTimeoutWithAClearVerdict()
    {
        Assert.Equal(0, FaultCapsule("replay-hang", "sleep 3600", "2h").ExitCode);
        var clock = Stopwatch.StartNew();
        CliResult r = Replay("hang", "replay-hang", "--verify", "--guest-timeout", "40s");
        Assert.True(r.ExitCode == 6, r.ToString());
        Assert.Contains("guest      hung: the guest did not finish within 40 s and was stopped", r.Stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40 + 60), $"took {clock.Elapsed}");
        Assert.Equal("guest-failed", (string)JsonNode.Parse(File.ReadAllText(fixture.Dir["hang/report.json"]))!["verdict"]!);
    }

    [Fact]
    public void ReplayVerify_CapsuleWithoutRunEntry_BootsAndReportsNothingToVerify()
    {
        ReplayArchive.Require(CliRunner.Run("snapshot", "--rootfs", fixture.Dir["env"], "--name", "no-runs", "--archive", fixture.Archive));
        CliResult r = Replay("noruns", "no-runs", "--verify");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("verdict    nothing-to-verify", r.Stdout);
        Assert.Contains("has no run entry: it booted, there was nothing to verify", r.Stderr);
        Assert.Contains("CVMPRESERVE-REPLAY-DONE", File.ReadAllText(fixture.Dir["noruns/console.log"]));
    }

    [Fact]
    public void Replay_WithoutBoot_BuildsImageAndInitrdAndPrintsTheQemuCommand()
    {
        CliResult r = Replay("noboot", "demo-aleph");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("qemu-system-x86_64 -machine accel=tcg", r.Stdout);
        Assert.Contains("serial=cvmp-image", r.Stdout);

        // The image is a clean ext4 file system holding the tree with its owners, modes and device nodes.
        string image = fixture.Dir["noboot/work/image.ext4"];
        CliRunner.Sh($"e2fsck -fn '{image}' >/dev/null");
        Assert.Contains("Scientific Linux SL release 4.7", CliRunner.Sh($"debugfs -R 'cat /etc/redhat-release' '{image}' 2>/dev/null"));
        string stat = CliRunner.Sh($"debugfs -R 'stat /home/alpha' '{image}' 2>/dev/null");
        Assert.Matches(@"Mode:\s+0700", stat);
        Assert.Matches(@"User:\s+1042\s+Group:\s+1042", stat);
        Assert.Contains("Type: character special", CliRunner.Sh($"debugfs -R 'stat /dev/null' '{image}' 2>/dev/null"));
        Assert.Equal("newc", CliRunner.Sh($"cd '{fixture.Dir["noboot"]}' && tail -c 1024 work/initrd.img | grep -c 'job/job.sh' >/dev/null && echo newc").Trim());
    }

    [Fact]
    public void Replay_Faults_ClearMessagesAndDocumentedExitCodesWithNoReport()
    {
        CliResult noQemu = CliRunner.Run(Limit, new Dictionary<string, string> { ["CVMPRESERVE_QEMU"] = "/nonexistent/qemu-system-x86_64" }, "replay", "demo-aleph", "--verify", "--to", fixture.Dir["noqemu"], "--archive", fixture.Archive);
        Assert.Equal(6, noQemu.ExitCode);
        Assert.Contains("CVMPRESERVE_QEMU=/nonexistent/qemu-system-x86_64: no such file; install QEMU (apt-get install qemu-system-x86)", noQemu.Stderr);
        Assert.False(Directory.Exists(fixture.Dir["noqemu"]));

        CliResult missing = Replay("missing", "no-such-capsule", "--verify");
        Assert.Equal(5, missing.ExitCode);

        Directory.CreateDirectory(fixture.Dir["full"]);
        File.WriteAllText(fixture.Dir["full/x"], "x");
        CliResult full = Replay("full", "demo-aleph");
        Assert.Equal(2, full.ExitCode);
        Assert.Contains("the replay directory must be new or empty", full.Stderr);

        CliResult s3 = CliRunner.Run(Limit, new Dictionary<string, string> { ["CVMPRESERVE_S3_RETRIES"] = "0", ["CVMPRESERVE_S3_TIMEOUT"] = "5", ["AWS_ACCESS_KEY_ID"] = "x", ["AWS_SECRET_ACCESS_KEY"] = "y" }, "replay", "demo-aleph", "--verify", "--to", fixture.Dir["s3"], "--archive", "s3://nowhere/archive", "--s3-endpoint", "http://127.0.0.1:9");
        Assert.Equal(6, s3.ExitCode);
        Assert.Contains("127.0.0.1:9", s3.Stderr);
        Assert.False(File.Exists(fixture.Dir["s3/report.json"]));
    }

    [Fact]
    public void Replay_CorruptBlobWhileBuildingTheImage_Exits3NamingTheBlobAndWritesNoReport()
    {
        using var t = new TempDir();
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        ReplayArchive.Require(CliRunner.Run("carrier", "import", fixture.Kit, "--archive", t["a"]));
        ReplayArchive.Require(CliRunner.Run("snapshot", "--rootfs", fixture.Dir["env"], "--name", "c", "--archive", t["a"]));
        string catalog = (string)JsonNode.Parse(CliRunner.Run("show", "c", "--json", "--archive", t["a"]).Stdout)!["manifest"]!["tree"]!["catalog"]!;
        string db = t["catalog.db"];
        CliRunner.Sh($"zstd -q -d -c '{t["a"]}/blobs/sha256/{catalog[..2]}/{catalog}' > '{db}'");
        string blob = CliRunner.Sh($"sqlite3 -readonly '{db}' \"SELECT x.blob FROM extents x JOIN entries e ON e.id = x.entry WHERE e.path = CAST('aleph/alpha/bin/alpha' AS BLOB) LIMIT 1\"").Trim();
        string file = Path.Combine(t["a"], "blobs", "sha256", blob[..2], blob);
        byte[] bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(file, bytes);

        CliResult r = CliRunner.Run(Limit, null, "replay", "c", "--verify", "--to", t["out"], "--archive", t["a"]);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("the image cannot be built: RST011", r.Stderr);
        Assert.Contains(blob, r.Stderr);
        Assert.False(File.Exists(t["out/report.json"]));
        Assert.False(File.Exists(t["out/console.log"]));
    }

    [Fact]
    public void ReplayKernelArchived_CapsulesOwnKernelAndModules_BootsWithTheRecordedCommandLineAndMatches()
    {
        (string release, string spec) = ArchivedKernelCapsule("own-kernel", keepOverlayModule: true);
        ReplayArchive.Require(CliRunner.Run("snapshot", spec, "--archive", fixture.Archive));

        CliResult r = Replay("own-kernel", "own-kernel", "--kernel", "archived", "--verify", "--keep");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"mode       boot: QEMU tcg, the capsule's own kernel {release}", r.Stdout);
        Assert.Contains($"decided    kernel archived: /boot/vmlinuz-{release} ({release}), booted with the carrier's init; modules from the tree's /lib/modules/{release}: overlay.ko", r.Stdout);
        Assert.Contains("decided    recorded command line kept: elevator=noop; dropped: ro root=/dev/sda1 quiet", r.Stdout);
        Assert.Matches(@"cmdline    console=ttyS0 quiet panic=-1 no_timer_check elevator=noop", r.Stdout);
        Assert.Matches(@"alpha-histogram\s+/tmp/alpha-out/histogram.txt\s+exact\s+match", r.Stdout);

        // The guest booted the capsule's kernel bytes, and its init loaded the module from the capsule's tree.
        Assert.Equal(File.ReadAllBytes(Path.Combine(fixture.Kit, "vmlinuz")), File.ReadAllBytes(fixture.Dir["own-kernel/work/archived-kernel"]));
        byte[] initrd = File.ReadAllBytes(fixture.Dir["own-kernel/work/initrd.img"]);
        Assert.True(initrd.AsSpan().IndexOf("lib/modules/archived/kernel/fs/overlayfs/overlay.ko"u8) > 0, "the capsule's module is in the initramfs");
        Assert.Contains("CVMPRESERVE-ROOT-MOUNTED", File.ReadAllText(fixture.Dir["own-kernel/console.log"]));
    }

    [Fact]
    public void ReplayKernelArchived_KernelLackingWhatTheReplayNeeds_Exits2BeforeBootingSayingWhatToUse()
    {
        (_, string spec) = ArchivedKernelCapsule("old-kernel", keepOverlayModule: false);
        CliRunner.Sh($"sed -i 's/^CONFIG_BLK_DEV_NVME=.*/# CONFIG_BLK_DEV_NVME is not set/' '{fixture.Dir["env-old-kernel"]}'/boot/config-*");
        ReplayArchive.Require(CliRunner.Run("snapshot", spec, "--archive", fixture.Archive));

        CliResult r = Replay("old-kernel", "old-kernel", "--kernel", "archived", "--verify");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("old-kernel@v1's own kernel cannot boot a replay: ", r.Stderr);
        Assert.Contains("no NVMe driver (the replay's disks): CONFIG_BLK_DEV_NVME is not set (Linux 3.3 and later have it)", r.Stderr);
        Assert.Contains("no overlay file system (the read-only image under a discarded tmpfs): CONFIG_OVERLAY_FS=m, but its tree's /lib/modules/", r.Stderr);
        Assert.Contains("Boot it on the carrier's kernel instead (leave out --kernel archived).", r.Stderr);
        Assert.DoesNotContain("booting", r.Stderr);
        Assert.False(File.Exists(fixture.Dir["old-kernel/report.json"]));

        CliResult none = Replay("no-kernel", "demo-aleph", "--kernel", "archived");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("demo-aleph@v1 records no kernel (its manifest has no boot.kernel): boot it on the carrier's kernel instead", none.Stderr);
        CliResult both = Replay("both", "demo-aleph", "--kernel", "archived", "--target", "container");
        Assert.Equal(2, both.ExitCode);
    }

    /// <summary>The demo tree with the carrier package's own kernel, config and overlay module placed as a distribution installs them.</summary>
    private (string Release, string Spec) ArchivedKernelCapsule(string name, bool keepOverlayModule)
    {
        string release = (string)JsonNode.Parse(File.ReadAllText(Path.Combine(fixture.Kit, "carrier.json")))!["kernelRelease"]!;
        string env = fixture.Dir["env-" + name];
        string modules = $"{env}/lib/modules/{release}";
        CliRunner.Sh($"""
            set -e
            cp -a '{fixture.Dir["env"]}' '{env}'
            mkdir -p '{env}/boot' '{modules}/kernel/fs/overlayfs'
            cp '{fixture.Kit}/vmlinuz' '{env}/boot/vmlinuz-{release}'
            cp '{fixture.Kit}/config' '{env}/boot/config-{release}'
            echo 'kernel/fs/overlayfs/overlay.ko:' > '{modules}/modules.dep'
            if {(keepOverlayModule ? "true" : "false")}; then
              cd '{modules}' && zcat '{fixture.Kit}/initramfs.cpio.gz' | cpio -i --quiet --to-stdout lib/modules/kernel/fs/overlayfs/overlay.ko > kernel/fs/overlayfs/overlay.ko
            fi
            """);
        string spec = File.ReadAllText(fixture.Spec(name + ".yaml", env)).Replace("name: demo-aleph", "name: " + name)
            + $"boot:\n  kernel: /boot/vmlinuz-{release}\n  cmdline: \"ro root=/dev/sda1 quiet elevator=noop\"\n";
        File.WriteAllText(fixture.Dir[name + ".yaml"], spec);
        return (release, fixture.Dir[name + ".yaml"]);
    }

    private CliResult FaultCapsule(string name, string command, string timeout)
    {
        string env = fixture.Dir["env-" + name];
        CliRunner.Sh($"cp -a '{fixture.Dir["env"]}' '{env}' && printf '%s\\n' '{command}' > '{env}/aleph/fault.sh'");
        File.WriteAllText(fixture.Dir[name + ".yaml"], $"name: {name}\nos:\n  rootfs: {env}\nrun:\n  - name: fault\n    interpreter: /bin/sh\n    script: /aleph/fault.sh\n    timeout: {timeout}\n    outputs:\n      - path: /tmp/never\n        reference: /aleph/reference/histogram.txt\n");
        return CliRunner.Run("snapshot", fixture.Dir[name + ".yaml"], "--archive", fixture.Archive);
    }

    private List<JsonNode> Journal() =>
        Directory.EnumerateFiles(Path.Combine(fixture.Archive, "journal"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => JsonNode.Parse(File.ReadAllText(f))!).ToList();
}
