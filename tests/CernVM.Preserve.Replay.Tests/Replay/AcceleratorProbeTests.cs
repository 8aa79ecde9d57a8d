using CernVM.Preserve.Core;
using CernVM.Preserve.Replay.Boot;
using Xunit;

namespace CernVM.Preserve.Replay.Tests.Replay;

/// <summary>
/// KVM is used only when a real probe guest (the carrier's kernel and initramfs under KVM) reaches the carrier's init;
/// the verdict is cached for the host's boot. Run against the real QEMU and the carrier kit of the test cache.
/// </summary>
public sealed class AcceleratorProbeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-accel-").FullName;

    private static string Kit =>
        Path.Combine(Environment.GetEnvironmentVariable("CVMPRESERVE_TEST_CACHE") is { Length: > 0 } c ? c : "/var/tmp/cvmpreserve-test-cache", "carrier-kit");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Choose_SettingNamesTheAccelerator_NoProbe()
    {
        AcceleratorChoice tcg = await AcceleratorProbe.ChooseAsync("tcg", Path.Combine(_dir, "cache.json"), "/nonexistent/qemu", "k", "i", _dir, CancellationToken.None);
        AcceleratorChoice kvm = await AcceleratorProbe.ChooseAsync("kvm", Path.Combine(_dir, "cache.json"), "/nonexistent/qemu", "k", "i", _dir, CancellationToken.None);

        Assert.Equal(("tcg", "CVMPRESERVE_ACCEL=tcg"), (tcg.Name, tcg.Reason));
        Assert.True(kvm.IsKvm);
        Assert.False(File.Exists(Path.Combine(_dir, "cache.json")));
        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => AcceleratorProbe.ChooseAsync("fast", Path.Combine(_dir, "cache.json"), "q", "k", "i", _dir, CancellationToken.None));
        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains("CVMPRESERVE_ACCEL=fast: use auto, kvm or tcg", e.Message);
    }

    [Fact]
    public async Task Choose_Auto_ProbesTheRealHostOnceAndCachesTheVerdictForThisBoot()
    {
        string qemu = Sh.Run("command -v qemu-system-x86_64").Trim();
        string cache = Path.Combine(_dir, "cache", "kvm-probe.json");
        File.WriteAllText(Path.Combine(_dir, "damaged.json"), "{not json");
        string kernel = Path.Combine(Kit, "vmlinuz"), initramfs = Path.Combine(Kit, "initramfs.cpio.gz");
        Assert.True(File.Exists(kernel), $"the carrier kit is missing ({Kit}): tools/install-test-deps.sh builds it");

        AcceleratorChoice first = await AcceleratorProbe.ChooseAsync(null, cache, qemu, kernel, initramfs, _dir, CancellationToken.None);

        if (!File.Exists("/dev/kvm"))
        {
            Assert.Equal(("tcg", "this host has no /dev/kvm: TCG (software emulation)"), (first.Name, first.Reason));
            Assert.False(File.Exists(cache));
            return;
        }

        // Whatever this host's KVM does, the verdict says what the probe saw, and it is the one a boot uses.
        Assert.Matches(
            @"^(a KVM probe guest reached the carrier's init in [0-9.]+ s|/dev/kvm is present but (a KVM probe guest did not reach the carrier's init within 15 s|QEMU could not run a KVM guest \(exit -?\d+.*\)): TCG|/dev/kvm cannot be opened by this user .*)$",
            first.Reason);
        Assert.Equal(first.Reason.StartsWith("a KVM probe", StringComparison.Ordinal) ? "kvm" : "tcg", first.Name);
        if (first.Reason.StartsWith("/dev/kvm cannot be opened", StringComparison.Ordinal))
        {
            return;
        }

        Assert.Contains(Sh.Run("cat /proc/sys/kernel/random/boot_id").Trim(), File.ReadAllText(cache));
        AcceleratorChoice again = await AcceleratorProbe.ChooseAsync("auto", cache, qemu, kernel, initramfs, _dir, CancellationToken.None);
        Assert.Equal(first.Name, again.Name);
        Assert.Equal(first.Reason + " (probed earlier since this host booted)", again.Reason);

        // A damaged verdict is not trusted: the host is probed again.
        AcceleratorChoice afterDamage = await AcceleratorProbe.ChooseAsync("auto", Path.Combine(_dir, "damaged.json"), qemu, kernel, initramfs, _dir, CancellationToken.None);
        Assert.Equal(first.Name, afterDamage.Name);
        Assert.DoesNotContain("probed earlier", afterDamage.Reason);
    }

    [Fact]
    public void CommandLine_Kvm_UsesTheHostCpu_TcgTheEmulatedMax()
    {
        var r = new BootRequest("k", "i", "img", "res", "console=ttyS0", "t", TimeSpan.FromSeconds(1));
        IReadOnlyList<string> tcg = QemuBoot.CommandLine("q", r);
        IReadOnlyList<string> kvm = QemuBoot.CommandLine("q", r with { Accelerator = "kvm" });

        Assert.Equal(["-machine", "accel=tcg", "-cpu", "max"], tcg.Skip(1).Take(4));
        Assert.Equal(["-machine", "accel=kvm", "-cpu", "host"], kvm.Skip(1).Take(4));
    }
}
