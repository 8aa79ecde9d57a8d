using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Posix;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

/// <summary>
/// --no-devices, --no-setuid and --no-owners: what a careful user restoring an archive from elsewhere as root
/// leaves out (docs/CLI.md, "Restoring an archive from elsewhere"). Each thing left out is reported (RST009).
/// The tests hold as root and as another user: what only root can do is asserted for the user running them.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestoreSafetyOptionsTests
{
    // security.capability, VFS_CAP_REVISION_2 with the effective flag: cap_net_raw permitted.
    private static readonly byte[] NetRawCapability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private static async Task<(TestArchive, LoadedManifest)> HostileTreeAsync()
    {
        TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("bin");
        b.File("bin/rootshell", "#!/bin/sh\nexec /bin/sh\n", "6755");
        b.ChangeOwnerAndMode("bin/rootshell", 0, "6755");
        b.File("bin/ping", "raw sockets", "755");
        b.AddXAttr("bin/ping", "security.capability", NetRawCapability);
        b.File("home", "someone's", "640");
        b.ChangeOwnerAndMode("home", 4321, "640");
        b.Dir("tmp", "1777");
        b.Dir("dev");
        b.Device("dev/mem", 1, 1, "666");
        return (a, await a.CommitAsync(b));
    }

    private static bool HasXAttr(string path, string name) =>
        PosixFs.ReadXAttrs(PosixFs.FromString(path)).Any(x => x.Name.AsSpan().SequenceEqual(System.Text.Encoding.UTF8.GetBytes(name)));

    [Fact]
    public async Task Restore_WithNoDevicesNoSetuidNoOwners_LeavesEachOutAndReportsIt()
    {
        (TestArchive a, LoadedManifest m) = await HostileTreeAsync();
        await using (a)
        {
            string t = a["careful"];

            RestoreResult r = await new TreeRestorer(a.Archive).RestoreAsync(m, new RestoreOptions { Target = t, NoDevices = true, NoSetuid = true, NoOwners = true }, default);

            Assert.False(r.HasErrors, string.Join("\n", r.Problems));
            Assert.False(PosixFs.TryLStat(PosixFs.FromString(Path.Combine(t, "dev/mem")), out _, out _));
            FileStatus shell = PosixFs.LStat(PosixFs.FromString(Path.Combine(t, "bin/rootshell")));
            Assert.Equal(TreeBuilder.Octal("755"), shell.Mode & 0xFFF);
            Assert.False(HasXAttr(Path.Combine(t, "bin/ping"), "security.capability"));
            Assert.Equal(TreeBuilder.Octal("1777"), PosixFs.LStat(PosixFs.FromString(Path.Combine(t, "tmp"))).Mode & 0xFFF); // sticky grants nothing: kept
            uint me = PosixFs.LStat(PosixFs.FromString(t)).Uid;
            Assert.Equal(me, PosixFs.LStat(PosixFs.FromString(Path.Combine(t, "home"))).Uid);
            Assert.Equal("someone's", File.ReadAllText(Path.Combine(t, "home")));

            string left = ReportCode.LeftOutOnRequest.Code;
            Assert.Contains(r.Problems, p => p.Code == left && p.Path == "dev/mem" && p.Message.Contains("--no-devices", StringComparison.Ordinal));
            Assert.Contains(r.Problems, p => p.Code == left && p.Path == "bin/rootshell" && p.Message.Contains("6755", StringComparison.Ordinal));
            Assert.Contains(r.Problems, p => p.Code == left && p.Path == "bin/ping" && p.Message.Contains("file capabilities", StringComparison.Ordinal));
            Assert.Contains(r.Problems, p => p.Code == (PosixFs.IsPrivileged ? left : ReportCode.OwnersNotRestored.Code) && p.Path is null);
        }
    }

    /// <summary>Without the options the same archive is restored with full fidelity, as far as the user may.</summary>
    [Fact]
    public async Task Restore_WithoutTheOptions_GivesSetuidDevicesAndOwnersBackAsRootCan()
    {
        (TestArchive a, LoadedManifest m) = await HostileTreeAsync();
        await using (a)
        {
            string t = a["faithful"];

            RestoreResult r = await new TreeRestorer(a.Archive).RestoreAsync(m, new RestoreOptions { Target = t }, default);

            Assert.DoesNotContain(r.Problems, p => p.Code == ReportCode.LeftOutOnRequest.Code);
            Assert.Equal(TreeBuilder.Octal("6755"), PosixFs.LStat(PosixFs.FromString(Path.Combine(t, "bin/rootshell"))).Mode & 0xFFF);
            if (PosixFs.IsPrivileged)
            {
                Assert.False(r.HasErrors, string.Join("\n", r.Problems));
                Assert.Equal(EntryKind.CharDevice, PosixFs.LStat(PosixFs.FromString(Path.Combine(t, "dev/mem"))).Kind);
                Assert.Equal(4321u, PosixFs.LStat(PosixFs.FromString(Path.Combine(t, "home"))).Uid);
                Assert.True(HasXAttr(Path.Combine(t, "bin/ping"), "security.capability"));
            }
            else
            {
                Assert.Contains(r.Problems, p => p.Code == ReportCode.DeviceNotMade.Code && p.Path == "dev/mem");
                Assert.Contains(r.Problems, p => p.Code == ReportCode.OwnersNotRestored.Code);
            }
        }
    }
}
