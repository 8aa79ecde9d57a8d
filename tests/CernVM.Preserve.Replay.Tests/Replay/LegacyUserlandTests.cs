using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Replay.Boot;
using CernVM.Preserve.Replay.Carrier;
using Xunit;

namespace CernVM.Preserve.Replay.Tests.Replay;

public class LegacyUserlandTests
{
    private static CarrierKit Kit(bool ia32 = true, bool vsyscall = true) =>
        new("/kit", "6.1.0-57-cloud-amd64", "/kit/vmlinuz", "/kit/initramfs.cpio.gz", [], [], new CarrierFeatures(true, true, ia32, vsyscall));

    private static JsonObject Os(string arch, string distro, string version) => new() { ["architecture"] = arch, ["distribution"] = distro, ["version"] = version };

    [Theory]
    [InlineData("Scientific Linux", "4.7", true)]
    [InlineData("CentOS", "6.10", true)]
    [InlineData("CentOS", "7.9", false)]
    [InlineData("Debian", "7.11", true)]
    [InlineData("Debian", "12.8", false)]
    public void Decide_X8664ByDistributionVersion_VsyscallEmulateForOldGlibc(string distro, string version, bool emulate)
    {
        UserlandDecision d = LegacyUserland.Decide(Os("x86_64", distro, version), Kit());
        Assert.Equal(emulate ? ["vsyscall=emulate"] : [], d.KernelArguments);
        Assert.Single(d.Reasons);
    }

    [Fact]
    public void Decide_I386_Ia32EmulationStatedNoArguments()
    {
        UserlandDecision d = LegacyUserland.Decide(Os("i386", "Debian", "12.8"), Kit());
        Assert.Empty(d.KernelArguments);
        Assert.Contains("IA-32 emulation", Assert.Single(d.Reasons), StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_I386OnCarrierWithoutIa32_UsageSayingWhatToUse()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => LegacyUserland.Decide(Os("i386", "Debian", "12"), Kit(ia32: false)));
        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains("no IA-32 emulation (CONFIG_IA32_EMULATION): use a carrier built with it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_Aarch64_UsageNamingTheContainerTarget() =>
        Assert.Contains("--target container", Assert.Throws<PreserveException>(() => LegacyUserland.Decide(Os("aarch64", "Debian", "12"), Kit())).Message, StringComparison.Ordinal);
}
