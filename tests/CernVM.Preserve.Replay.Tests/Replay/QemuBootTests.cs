using CernVM.Preserve.Replay.Boot;
using Xunit;

namespace CernVM.Preserve.Replay.Tests.Replay;

public class QemuBootTests
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(30);

    [Fact]
    public void Judge_DoneMarker_CompletedWhateverQemuSays() =>
        Assert.Equal(GuestEnd.Completed, QemuBoot.Judge("CVMPRESERVE-CARRIER-UP x\nCVMPRESERVE-REPLAY-DONE\n[ 4.6] reboot: Power down\n", false, T, 1, "").End);

    [Fact]
    public void Judge_PanicWithExitZero_PanickedQuotingThePanic()
    {
        (GuestEnd end, string reason) = QemuBoot.Judge("[    2.1] Kernel panic - not syncing: sysrq triggered crash\n", false, T, 0, "");
        Assert.Equal(GuestEnd.Panicked, end);
        Assert.Equal("the guest kernel panicked: Kernel panic - not syncing: sysrq triggered crash", reason);
    }

    [Fact]
    public void Judge_CarrierFailure_NamesTheReason() =>
        Assert.Equal((GuestEnd.CarrierFailed, "the carrier stopped: cannot mount /dev/nvme0n1 (ext4, ro)"), QemuBoot.Judge("CVMPRESERVE-CARRIER-FAILED cannot mount /dev/nvme0n1 (ext4, ro)\n", false, T, 0, ""));

    [Fact]
    public void Judge_KilledAtTimeout_HungWithTheLastLine()
    {
        (GuestEnd end, string reason) = QemuBoot.Judge("CVMPRESERVE-ENTRY-BEGIN 1 fault\n", true, T, 137, "");
        Assert.Equal(GuestEnd.Hung, end);
        Assert.Equal("the guest did not finish within 30 s and was stopped (last console line: CVMPRESERVE-ENTRY-BEGIN 1 fault)", reason);
    }

    [Fact]
    public void Judge_QemuRefusedToStart_StoppedWithItsMessage() =>
        Assert.Equal((GuestEnd.Stopped, "QEMU exited with code 1 before the carrier finished (nothing on the console): qemu: could not load kernel"), QemuBoot.Judge("", false, T, 1, "qemu: could not load kernel\n"));

    [Fact]
    public void CommandLine_Request_NoNetworkTcgDisksBySerialAndCommasEscaped()
    {
        IReadOnlyList<string> line = QemuBoot.CommandLine("qemu", new BootRequest("/k", "/i", "/w/a,b.ext4", "/w/r", "console=ttyS0", "/w/console.log", T));
        string s = string.Join(' ', line);
        Assert.Contains("-machine accel=tcg", s);
        Assert.Contains("-nodefaults", s);
        Assert.Contains("file=/w/a,,b.ext4,if=none,id=image,format=raw,readonly=on", s);
        Assert.Contains("nvme,drive=results,serial=cvmp-results", s);
        Assert.Contains("-serial file:/w/console.log", s);
        Assert.DoesNotContain("-nic", s);
        Assert.DoesNotContain("-netdev", s);
    }
}
