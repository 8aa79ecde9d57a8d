using System.Formats.Tar;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Trees;

/// <summary>
/// Tarballs made to reach outside the tree (written member by member with .NET's TarWriter, which writes any
/// name it is given): the captured tree never reaches outside its root; what cannot be captured safely is
/// refused by name, before anything is stored.
/// </summary>
public sealed class HostileTarTests : IDisposable
{
    private readonly Packages.TemporaryDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private string Tar(params TarEntry[] members)
    {
        string path = Path.Combine(_work.Path, $"hostile-{Guid.NewGuid():N}.tar");
        using (FileStream f = System.IO.File.Create(path))
        using (var w = new TarWriter(f, TarEntryFormat.Pax))
        {
            foreach (TarEntry e in members)
            {
                w.WriteEntry(e);
            }
        }

        return path;
    }

    private static PaxTarEntry File(string name, string content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };

    private static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name);

    private static PaxTarEntry Symlink(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    private static PaxTarEntry HardLink(string name, string target) => new(TarEntryType.HardLink, name) { LinkName = target };

    private static string Read(ITreeSource source, TreeEntry e)
    {
        using IFileContent c = source.Open(e);
        byte[] b = new byte[e.Size];
        int n = c.Read(b, 0);
        return System.Text.Encoding.UTF8.GetString(b, 0, n);
    }

    /// <summary>The case: captured, it was committed as a version that restore then refused.</summary>
    [Theory]
    [InlineData("/somewhere")]
    [InlineData("../..")]
    [InlineData("dir")]
    public void Walk_FileWrittenThroughASymlinkOfTheTar_RefusedNamingBoth(string linkTarget)
    {
        string tar = Tar(Dir("dir"), Symlink("link", linkTarget), File("link/file", "through the link"));
        using var source = new TarTreeSource(tar);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains($"{tar}: member 'link/file' lies below 'link', which is a symbolic link to '{linkTarget}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_MemberBelowARegularFile_RefusedNamingBoth()
    {
        string tar = Tar(File("f", "a file"), File("f/g/h", "below a file"));
        using var source = new TarTreeSource(tar);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Contains("member 'f/g/h' lies below 'f', which is a file, not a directory", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("a/./b")]
    public void Walk_MemberNameLeavingTheTree_RefusedNamingTheMember(string name)
    {
        string tar = Tar(Dir("a"), File(name, "out"));
        using var source = new TarTreeSource(tar);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains($"member '{name}' has a path that leaves the tree", e.Message, StringComparison.Ordinal);
    }

    /// <summary>As GNU tar does without -P: the leading slash is dropped, the member lands inside the tree.</summary>
    [Fact]
    public void Walk_AbsoluteMemberName_CapturedInsideTheTree()
    {
        string tar = Tar(File("/etc/passwd", "root:x:0:0::/root:/bin/sh\n"));
        using var source = new TarTreeSource(tar);

        List<TreeEntry> entries = source.Walk(CancellationToken.None);

        Assert.Equal(["", "etc", "etc/passwd"], entries.Select(e => e.DisplayPath));
        Assert.Equal("root:x:0:0::/root:/bin/sh\n", Read(source, entries[2]));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/shadow")]
    [InlineData("nowhere")]
    public void Walk_HardLinkToOutsideOrToNothing_RefusedNamingTheMember(string target)
    {
        string tar = Tar(File("etc/passwd", "inside"), HardLink("evil", target));
        using var source = new TarTreeSource(tar);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Contains($"member 'evil' is a hard link to '{target}', which comes nowhere before it", e.Message, StringComparison.Ordinal);
    }

    /// <summary>An absolute hard link target names a member of the tar, as GNU tar reads it: it stays inside.</summary>
    [Fact]
    public void Walk_HardLinkWithAnAbsoluteTargetOfTheTar_LinksInsideTheTree()
    {
        string tar = Tar(File("etc/passwd", "inside"), HardLink("copy", "/etc/passwd"));
        using var source = new TarTreeSource(tar);

        List<TreeEntry> entries = source.Walk(CancellationToken.None);

        // One inode whose first name in catalog order, "copy", holds the content.
        TreeEntry copy = entries.Single(e => e.DisplayPath == "copy");
        Assert.Equal(copy.Id, entries.Single(e => e.DisplayPath == "etc/passwd").HardlinkTo);
        Assert.Equal("inside", Read(source, copy));
    }

    /// <summary>As tar -x: the later member of a name replaces the earlier; one entry, the later content.</summary>
    [Fact]
    public void Walk_DuplicateNames_TheLaterMemberWins()
    {
        string tar = Tar(File("f", "first"), File("./f", "second"), Dir("d"), File("d", "a file now"));
        using var source = new TarTreeSource(tar);

        List<TreeEntry> entries = source.Walk(CancellationToken.None);

        Assert.Equal(["", "d", "f"], entries.Select(e => e.DisplayPath));
        Assert.Equal("second", Read(source, entries.Single(e => e.DisplayPath == "f")));
        Assert.Equal(EntryKind.File, entries.Single(e => e.DisplayPath == "d").Kind);
    }

    /// <summary>A symlink pointing outside is kept as what it is (a link, fidelity); nothing is ever read through it.</summary>
    [Fact]
    public void Walk_SymlinkToOutside_KeptAsALinkAndNeverFollowed()
    {
        string tar = Tar(Symlink("shadow", "/etc/shadow"), Symlink("up", "../../../.."));
        using var source = new TarTreeSource(tar);

        List<TreeEntry> entries = source.Walk(CancellationToken.None);

        Assert.All(entries.Skip(1), e => Assert.Equal(EntryKind.Symlink, e.Kind));
        Assert.Equal("/etc/shadow"u8.ToArray(), entries.Single(e => e.DisplayPath == "shadow").LinkTarget);
        Assert.Throws<IOException>(() => source.Open(entries.Single(e => e.DisplayPath == "shadow")));
    }

    /// <summary>
    /// The files a spec's detection reads (os-release, release files, the package database) are extracted with
    /// their symlinks; a link is resolved inside the tree as chroot would, never on the host: an absolute
    /// target or one climbing with '..' reads the tree's file (or nothing), not the host's.
    /// </summary>
    [Fact]
    public void ExtractTo_SymlinksToAbsoluteOrClimbingTargets_ResolveInsideTheTree()
    {
        string tar = Tar(
            File("usr/lib/os-release", "ID=fromthetar\n"),
            Symlink("etc/os-release", "/usr/lib/os-release"),
            Symlink("etc/redhat-release", "../../../../../../../../etc/hostname"),
            Symlink("etc/relative", "../usr/lib/os-release"));
        using var source = new TarTreeSource(tar);
        source.Walk(CancellationToken.None);
        string probe = Path.Combine(_work.Path, "probe");

        source.ExtractTo(probe, _ => true);

        Assert.Equal("ID=fromthetar\n", System.IO.File.ReadAllText(Path.Combine(probe, "etc/os-release")));
        Assert.Equal("ID=fromthetar\n", System.IO.File.ReadAllText(Path.Combine(probe, "etc/relative")));
        Assert.Equal(Path.Combine(probe, "etc/hostname"), new FileInfo(Path.Combine(probe, "etc/redhat-release")).LinkTarget);
        Assert.Throws<FileNotFoundException>(() => System.IO.File.ReadAllText(Path.Combine(probe, "etc/redhat-release"))); // not the host's /etc/hostname
    }

    [Theory]
    [InlineData("etc/os-release", "/usr/lib/os-release", "usr/lib/os-release")]
    [InlineData("etc/os-release", "../usr/lib/os-release", "usr/lib/os-release")]
    [InlineData("etc/x", "../../../../etc/shadow", "etc/shadow")]
    [InlineData("a/b/c", "./../d/./e/", "a/d/e")]
    [InlineData("top", "/", "")]
    public void InsideRoot_ResolvesAsChrootWould(string link, string target, string expected)
    {
        Assert.Equal(expected, TarBackedTreeSource.InsideRoot(link, target));
    }
}
