using CernVM.Preserve.Curation.Spec;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Spec;

/// <summary>
/// Distribution, release and architecture from the files each era's trees carry. The file contents are
/// those the distributions shipped (sl-release, centos-release, base-files, lsb-base packages).
/// </summary>
public sealed class OsIdentityTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-osid-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private void Link(string relative, string target)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
    }

    // A 64-byte ELF header: class, data, version, and e_machine at offset 18 (little-endian).
    private void Elf(string relative, byte elfClass, ushort machine)
    {
        byte[] h = new byte[64];
        h[0] = 0x7F; h[1] = (byte)'E'; h[2] = (byte)'L'; h[3] = (byte)'F';
        h[4] = elfClass; h[5] = 1; h[6] = 1;
        h[16] = 2;
        h[18] = (byte)machine; h[19] = (byte)(machine >> 8);
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, h);
    }

    [Fact]
    public void Detect_ScientificLinux4_i386()
    {
        Write("etc/redhat-release", "Scientific Linux SL release 4.7 (Beryllium)\n");
        Elf("bin/bash", 1, 3);
        Link("bin/sh", "bash");
        OsIdentity id = OsIdentity.Detect(_root);
        Assert.Equal(("Scientific Linux", "4.7", "Beryllium"), (id.Distribution, id.Version, id.Codename));
        Assert.Equal("Scientific Linux SL release 4.7 (Beryllium)", id.Release);
        Assert.Equal("/etc/redhat-release", id.ReleaseFile);
        Assert.Equal("i386", id.Architecture);
    }

    [Fact]
    public void Detect_ScientificLinuxCern5_x86_64()
    {
        Write("etc/redhat-release", "Scientific Linux CERN SLC release 5.11 (Boron)\n");
        Elf("bin/sh", 2, 62);
        OsIdentity id = OsIdentity.Detect(_root);
        Assert.Equal(("Scientific Linux CERN", "5.11", "Boron"), (id.Distribution, id.Version, id.Codename));
        Assert.Equal("x86_64", id.Architecture);
    }

    [Fact]
    public void Detect_CentOS7_ReleaseFileWinsOverOsRelease()
    {
        Write("etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n");
        Link("etc/redhat-release", "centos-release");
        Link("etc/system-release", "centos-release");
        Write("etc/os-release", "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n");
        OsIdentity id = OsIdentity.Detect(_root);
        Assert.Equal(("CentOS", "7.9.2009", "Core"), (id.Distribution, id.Version, id.Codename));
        Assert.Equal("centos", id.OsRelease!["ID"]);
        Assert.Equal("/etc/redhat-release", id.ReleaseFile);
        Assert.Contains("/etc/os-release", id.Sources);
    }

    [Fact]
    public void Detect_RedHatEnterpriseLinux4_UpdateInCodename()
    {
        Write("etc/redhat-release", "Red Hat Enterprise Linux WS release 4 (Nahant Update 7)\n");
        OsIdentity id = OsIdentity.Detect(_root);
        Assert.Equal(("Red Hat Enterprise Linux", "4", "Nahant Update 7"), (id.Distribution, id.Version, id.Codename));
    }

    [Fact]
    public void Detect_Debian12_PointReleaseFromDebianVersion_OsReleaseThroughARelativeLink()
    {
        Write("usr/lib/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n");
        Link("etc/os-release", "../usr/lib/os-release");
        Write("etc/debian_version", "12.5\n");
        Elf("usr/bin/dash", 2, 62);
        Link("bin", "usr/bin");
        Link("usr/bin/sh", "dash");
        OsIdentity id = OsIdentity.Detect(_root);
        Assert.Equal(("Debian GNU/Linux", "12.5", "bookworm"), (id.Distribution, id.Version, id.Codename));
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", id.Release);
        Assert.Equal("x86_64", id.Architecture);
    }

    [Fact]
    public void Detect_AbsoluteDirectoryLinkOnTheWay_IsFollowedInsideTheTreeNotOnTheHost()
    {
        // /bin -> /usr/bin (absolute, as merged-/usr trees have it): an i386 tree must not read the host's x86_64 sh.
        Elf("usr/bin/bash", 1, 3);
        Link("usr/bin/sh", "bash");
        Link("bin", "/usr/bin");
        Link("etc/os-release", "../../../../usr/lib/os-release");
        Write("usr/lib/os-release", "NAME=Inside\n");
        OsIdentity id = OsIdentity.Detect(_root);
        Assert.Equal("i386", id.Architecture);
        Assert.Equal("Inside", id.Distribution);
    }

    [Fact]
    public void Detect_OldUbuntu_LsbReleaseOnly()
    {
        Write("etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=8.04\nDISTRIB_CODENAME=hardy\nDISTRIB_DESCRIPTION=\"Ubuntu 8.04.4 LTS\"\n");
        OsIdentity id = OsIdentity.Detect(_root);
        Assert.Equal(("Ubuntu", "8.04", "hardy"), (id.Distribution, id.Version, id.Codename));
        Assert.Equal("Ubuntu 8.04.4 LTS", id.Release);
        Assert.Equal("/etc/lsb-release", id.ReleaseFile);
    }

    [Fact]
    public void Detect_NoReleaseFiles_NothingInvented()
    {
        Write("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        Link("bin/sh", "/../../../etc/hostname");
        OsIdentity id = OsIdentity.Detect(_root);
        Assert.Null(id.Distribution);
        Assert.Null(id.Release);
        Assert.Null(id.Architecture);
        Assert.Empty(id.Sources);
    }

    [Fact]
    public void ParseShellAssignments_QuotesEscapesAndComments()
    {
        var f = OsIdentity.ParseShellAssignments("# comment\nNAME='Single Quoted'\nPRETTY_NAME=\"A \\\"quoted\\\" word\"\nBARE=value\nnot a field\n");
        Assert.Equal("Single Quoted", f["NAME"]);
        Assert.Equal("A \"quoted\" word", f["PRETTY_NAME"]);
        Assert.Equal("value", f["BARE"]);
        Assert.Equal(3, f.Count);
    }
}
