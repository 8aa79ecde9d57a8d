using System.Text;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Posix;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

/// <summary>The restorer's parts, each on its own, against real files in a temporary directory.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestorerPartsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-restorer-parts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static LoadedTree Tree(TreeBuilder b) => new(CapsuleName.Parse("t"), 1, BlobId.Of([1]), b.Entries);

    [Fact]
    public void ContentPlan_FilesSharingABundle_ReadTheBundleOnceForAll()
    {
        var b = new TreeBuilder();
        b.Bundle(("a", "one"), ("b", "two"), ("c", "three"));
        b.File("big", new byte[1000]);
        b.HardLink("big2", "big");

        ContentPlan plan = ContentPlan.For(b.Entries, _ => true);

        Assert.Equal(2, plan.Blobs.Count);
        Assert.Equal(["a", "b", "c"], plan.Blobs[b["a"].Extents[0].Blob].Select(t => t.File.DisplayPath));
        Assert.Equal(1011, plan.Bytes);
    }

    [Fact]
    public void ContentPlan_FileNotMade_IsLeftOut()
    {
        var b = new TreeBuilder();
        b.File("a", "one");
        b.File("b", "two");

        ContentPlan plan = ContentPlan.For(b.Entries, id => id != b["a"].Id);

        Assert.Equal(["b"], plan.Blobs.Values.SelectMany(v => v).Select(t => t.File.DisplayPath));
    }

    [Fact]
    public void FilesWriter_FileOfSeveralExtents_KeepsItsHolesUnwritten()
    {
        var b = new TreeBuilder();
        const long Size = 8L * 1024 * 1024;
        TreeEntry e = b.Sparse("sparse", Size, (0, [1]), (4 * 1024 * 1024, [2]));
        byte[] path = PosixFs.FromString(Path.Combine(_dir, "sparse"));

        FilesWriter.CreateSized(path, e.Size);
        FilesWriter.Write(e, path, new byte[] { 1 }, 0, _ => Assert.Fail("not a whole file"));
        FilesWriter.Write(e, path, new byte[] { 2 }, 4 * 1024 * 1024, _ => Assert.Fail("not a whole file"));

        using var h = PosixFs.OpenRead(path);
        List<(long Offset, long Length)> data = PosixFs.DataSegments(h, Size, path);
        Assert.Equal(Size, new FileInfo(Path.Combine(_dir, "sparse")).Length);
        Assert.True(data.Sum(d => d.Length) < Size / 2, $"data segments: {string.Join(", ", data)}");
    }

    [Fact]
    public void FilesWriter_WholeFile_IsCreatedWithItsHandleGivenForMetadataAndNeverOverwritten()
    {
        var b = new TreeBuilder();
        TreeEntry e = b.File("whole", "content");
        byte[] path = PosixFs.FromString(Path.Combine(_dir, "whole"));
        int handles = 0;

        FilesWriter.Write(e, path, "content"u8, 0, h => handles += h.IsInvalid ? 0 : 1);

        Assert.Equal(1, handles);
        Assert.Equal("content", File.ReadAllText(Path.Combine(_dir, "whole")));
        Assert.Throws<PosixException>(() => FilesWriter.Write(e, path, "CONTENT"u8, 0, _ => { }));
        Assert.Equal("content", File.ReadAllText(Path.Combine(_dir, "whole")));
    }

    [Fact]
    public void HardLinkIndex_FurtherNames_ArePairedWithTheirFirstName()
    {
        var b = new TreeBuilder();
        b.File("a", "x");
        b.File("b", "y");
        b.HardLink("a2", "a");
        b.HardLink("a3", "a");

        var index = new HardLinkIndex(Tree(b));

        Assert.Equal([("a2", "a"), ("a3", "a")], index.Links.Select(l => (l.Link.DisplayPath, l.First.DisplayPath)));
    }

    [Fact]
    public async Task FileRestorer_BundleWithAFileWhoseHashDisagrees_WritesTheOthersAndRemovesThatOne()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Bundle(("good", "hello"), ("bad", "world"));
        b.RecordContent("bad", BlobId.Of("WORLD"u8));
        await a.CommitAsync(b);
        var run = new RestoreRun(Tree(b), RestoreTarget.Prepare(a["out"]), PosixFs.IsPrivileged);
        b.Entries.ForEach(run.Made);
        var monitor = new RestoreMonitor();

        await new FileRestorer(a.Archive.Blobs, monitor, run, verifyWrittenFiles: true).RestoreAsync(2, default);

        RestoreProblem p = Assert.Single(run.Problems);
        Assert.Equal(("RST012", "bad", true), (p.Code, p.Path, p.IsError));
        Assert.False(File.Exists(a["out/bad"]));
        Assert.False(run.IsMade(b["bad"].Id));
        Assert.Equal("hello", File.ReadAllText(a["out/good"]));
        Assert.True(run.HasMetadata(b["good"].Id));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(a["out/good"]));
        Assert.Equal(10, monitor.BytesTotal);
    }

    [Fact]
    public void EntryMetadata_Apply_SetsModeAndNanosecondMtime()
    {
        var b = new TreeBuilder();
        TreeEntry e = b.Dir("d", "2750");
        string dir = Path.Combine(_dir, "d");
        Directory.CreateDirectory(dir);
        var problems = new List<RestoreProblem>();

        EntryMetadata.Apply(PosixFs.FromString(dir), e, PosixFs.IsPrivileged, PosixFs.IsPrivileged, problems.Add);

        FileStatus s = PosixFs.LStat(PosixFs.FromString(dir));
        Assert.Equal(TreeBuilder.Octal("2750"), s.Mode & 0xFFF);
        Assert.Equal((1_100_000_000L, 123_456_789), (s.MtimeSeconds, s.MtimeNanoseconds));
        Assert.Empty(problems);
    }

    [Fact]
    public void RestoreTarget_Prepare_CreatesAMissingDirectoryAndRefusesAFile()
    {
        RestoreTarget t = RestoreTarget.Prepare(Path.Combine(_dir, "new", "target"));
        File.WriteAllText(Path.Combine(_dir, "file"), "x");

        PreserveException e = Assert.Throws<PreserveException>(() => RestoreTarget.Prepare(Path.Combine(_dir, "file")));

        Assert.True(Directory.Exists(Path.Combine(_dir, "new", "target")));
        var b = new TreeBuilder();
        b.Dir("x");
        TreeEntry y = b.Dir("x/y");
        Assert.Equal(Path.Combine(_dir, "new", "target", "x", "y"), Encoding.UTF8.GetString(t.PathOf(y)));
        Assert.Equal(Path.Combine(_dir, "new", "target"), Encoding.UTF8.GetString(t.PathOf(b.Entries[0])));
        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains("exists and is not a directory", e.Message);
    }

    [Fact]
    public void RestoreProblemSummary_ManyOfOneCode_OneSummaryWithCountFirstInFullAndAFewPaths()
    {
        var problems = Enumerable.Range(1, 2096).Select(i => new RestoreProblem("RST004", $"cache/f{i}", $"not restored: it was excluded at capture (--exclude /cache)", false))
            .Append(new RestoreProblem("RST006", null, "not running as root", false))
            .Append(new RestoreProblem("RST003", "x", "mkdir failed", true))
            .ToList();

        IReadOnlyList<RestoreProblemSummary> s = RestoreProblemSummary.Of(problems, 4);

        Assert.Equal(["RST004", "RST006", "RST003"], s.Select(x => x.Code));
        Assert.Equal(2096, s[0].Count);
        Assert.Equal("cache/f1", s[0].First.Path);
        Assert.Equal(["cache/f2", "cache/f3", "cache/f4", "cache/f5"], s[0].MorePaths);
        Assert.Equal(2091, s[0].Unnamed);
        Assert.Equal((1, 0), (s[1].Count, s[1].Unnamed));
        Assert.True(s[2].IsError);
    }
}
