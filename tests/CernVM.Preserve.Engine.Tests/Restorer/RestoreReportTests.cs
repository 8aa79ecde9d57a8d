using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Posix;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Restorer;

/// <summary>
/// What a restore gives back and what it says about what it could not: the problems' codes, paths, texts and
/// order, the modes and times of what was made. Trees are restored as given (<see cref="LoadedTree"/>, the
/// catalog's checks not applied), so that damaged ones can be. The tests hold as root and as another user.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestoreReportTests
{
    // security.capability, VFS_CAP_REVISION_2 with the effective flag: cap_net_raw permitted.
    private static readonly byte[] NetRawCapability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private static LoadedTree AsGiven(TreeBuilder b) => new(CapsuleName.Parse("t"), 1, BlobId.Of([1]), b.Entries);

    // Stores the tree's blobs but those of leaveOut, and gives the tree as given.
    private static async Task<LoadedTree> StoreAsync(TestArchive a, TreeBuilder b, params BlobId[] leaveOut)
    {
        foreach ((BlobId id, byte[] blob) in b.Blobs.Where(kv => !leaveOut.Contains(kv.Key)))
        {
            await a.Archive.Blobs.PutAsync(blob, default);
        }

        await a.Archive.Store.FlushAsync(default);
        return AsGiven(b);
    }

    private static Task<RestoreResult> RestoreAsync(TestArchive a, LoadedTree tree, RestoreOptions options, RestoreMonitor? monitor = null) =>
        new TreeRestorer(a.Archive, monitor).RestoreAsync(tree, options, default);

    private static int ModeOf(string path) => (int)(PosixFs.LStat(PosixFs.FromString(path)).Mode & 0xFFF);

    [Fact]
    public async Task RestoreAsync_NoSetuid_ReportsEachEntryThatHadBitsOrCapabilitiesWithItsModeBeforeAndAfter()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("shared", "2775");
        b.AddXAttr("shared", "security.capability", NetRawCapability);
        b.Dir("tmp", "1777");
        b.File("suid", "s", "4755");
        b.File("ping", "p", "755");
        b.AddXAttr("ping", "security.capability", NetRawCapability);
        b.File("both", "b", "2755");
        b.AddXAttr("both", "security.capability", NetRawCapability);
        b.File("plain", "x", "644");
        LoadedTree tree = await StoreAsync(a, b);

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"], NoSetuid = true });

        Assert.False(r.HasErrors, string.Join("\n", r.Problems));
        Assert.Equal(
            [
                new RestoreProblem("RST009", "shared", "file capabilities dropped (--no-setuid): mode 2775 restored as 2775", false),
                new RestoreProblem("RST009", "suid", "setuid/setgid bits dropped (--no-setuid): mode 4755 restored as 755", false),
                new RestoreProblem("RST009", "ping", "file capabilities dropped (--no-setuid): mode 755 restored as 755", false),
                new RestoreProblem("RST009", "both", "setuid/setgid bits and file capabilities dropped (--no-setuid): mode 2755 restored as 755", false),
            ],
            r.Problems.Where(p => p.Path is not null));
        Assert.Equal(
            [TreeBuilder.Octal("2775"), TreeBuilder.Octal("1777"), TreeBuilder.Octal("755"), TreeBuilder.Octal("755"), TreeBuilder.Octal("755"), TreeBuilder.Octal("644")],
            new[] { "shared", "tmp", "suid", "ping", "both", "plain" }.Select(p => ModeOf(Path.Combine(a["out"], p))));
    }

    [Fact]
    public async Task RestoreAsync_HardLinkToAnEntryNotCaptured_IsReportedOnceAndNotMade()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.NotCaptured("first", EntryKind.File, EntryState.Excluded, "--exclude /first");
        b.HardLink("second", "first");
        b.File("kept", "k");
        LoadedTree tree = await StoreAsync(a, b);

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"] });

        Assert.Equal(
            [
                new RestoreProblem("RST004", "first", "not restored: it was excluded at capture (--exclude /first)", false),
                new RestoreProblem("RST005", "second", "hard link to 'first', which was not restored", true),
            ],
            r.Problems.Where(p => p.Path is not null));
        Assert.False(File.Exists(a["out/second"]));
        Assert.Equal((4L, 2L, 1L, 1L), (r.Entries, r.Restored, r.Excluded, r.NotRestored));
    }

    [Fact]
    public async Task RestoreAsync_NoOwners_SaysOwnersWereNotSetOnce()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("f", "x");
        LoadedTree tree = await StoreAsync(a, b);

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"], NoOwners = true });

        RestoreProblem p = Assert.Single(r.Problems);
        Assert.Equal(
            PosixFs.IsPrivileged
                ? new RestoreProblem("RST009", null, "owners not set (--no-owners): files belong to the restoring user", false)
                : new RestoreProblem("RST006", null, "not running as root: owners are not restored (files belong to the restoring user)", false),
            p);
    }

    [Fact]
    public async Task RestoreAsync_RootOfTheTree_GivesTheTargetItsModeAndTime()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder(rootMode: TreeBuilder.Octal("750"));
        b.File("f", "x");
        LoadedTree tree = await StoreAsync(a, b);

        await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"] });

        FileStatus root = PosixFs.LStat(PosixFs.FromString(a["out"]));
        Assert.Equal(TreeBuilder.Octal("750"), (int)(root.Mode & 0xFFF));
        Assert.Equal(1_000_000_000L, root.MtimeSeconds);
    }

    [Fact]
    public async Task RestoreAsync_NoWorkersAsked_RestoresWithOne()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.File("f", "content");
        LoadedTree tree = await StoreAsync(a, b);

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"], Workers = 0 });

        Assert.Equal(1, r.Files);
        Assert.Equal("content", File.ReadAllText(a["out/f"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RestoreAsync_AssembledFileNotMatchingItsHash_IsCheckedAndRemovedOnlyWithVerify(bool verify)
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Sparse("disk.img", 10_000, (0, [1, 2]), (5_000, [3]));
        BlobId recorded = BlobId.Of("another content"u8);
        b.RecordContent("disk.img", recorded);
        LoadedTree tree = await StoreAsync(a, b);

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"], VerifyWrittenFiles = verify });

        if (verify)
        {
            Assert.Equal(
                [new RestoreProblem("RST012", "disk.img", $"restored content does not match its recorded SHA-256 {recorded}; the file was removed", true)],
                r.Problems.Where(p => p.Path is not null));
            Assert.False(File.Exists(a["out/disk.img"]));
            Assert.Equal(1, r.NotRestored);
        }
        else
        {
            Assert.DoesNotContain(r.Problems, p => p.IsError);
            Assert.Equal(10_000, new FileInfo(a["out/disk.img"]).Length);
        }
    }

    [Fact]
    public async Task RestoreAsync_BlobsAndExtentsThatFail_AreReportedByCodeThenPathNamingTheFilesAffected()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("m");
        IReadOnlyList<TreeEntry> seven = b.Bundle([.. Enumerable.Range(1, 7).Select(i => ($"m/{i}", $"seven-{i}"))]);
        b.Dir("n");
        IReadOnlyList<TreeEntry> five = b.Bundle([.. Enumerable.Range(1, 5).Select(i => ($"n/{i}", $"five-{i}"))]);
        TreeEntry corrupt = b.File("c", "a blob stored damaged");
        b.Bundle(("v", "hello"), ("w", "world"));
        BlobId notWorld = BlobId.Of("WORLD"u8);
        b.RecordContent("w", notWorld);
        TreeEntry y = b.File("y", "hello");
        b.Change("y", e => e with { Extents = [new Extent(0, 5, y.Extents[0].Blob, 3)] }); // past the blob's end
        b.File("x", "hello");
        b.Change("x", e => e with { Extents = [new Extent(0, 5, y.Extents[0].Blob, -1)] }); // before its start
        TreeEntry z = b.File("z", "abc");
        b.Change("z", e => e with { Extents = [new Extent(0, 0, z.Extents[0].Blob, 3), .. e.Extents] }); // empty: no damage
        LoadedTree tree = await StoreAsync(a, b, seven[0].Extents[0].Blob, five[0].Extents[0].Blob, corrupt.Extents[0].Blob);
        await a.Archive.Store.PutIfAbsentAsync(corrupt.Extents[0].Blob.Key, "not the blob's frame"u8.ToArray(), default);
        await a.Archive.Store.FlushAsync(default);

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"], VerifyWrittenFiles = true });

        List<RestoreProblem> errors = [.. r.Problems.Where(p => p.IsError)];
        Assert.Equal(
            [("RST010", null), ("RST010", null), ("RST011", null), ("RST012", "w"), ("RST012", "x"), ("RST012", "y")],
            errors.Select(p => (p.Code, p.Path)));
        Assert.Single(errors, p => p.Message.EndsWith(" Affected: 'm/1', 'm/2', 'm/3', 'm/4', 'm/5' and 2 more.", StringComparison.Ordinal));
        Assert.Single(errors, p => p.Message.EndsWith(" Affected: 'n/1', 'n/2', 'n/3', 'n/4', 'n/5'.", StringComparison.Ordinal));
        Assert.EndsWith(" Affected: 'c'.", errors[2].Message);
        Assert.Equal($"content does not match its recorded SHA-256 {notWorld}", errors[3].Message);
        Assert.Equal($"the catalog's extent reaches past the end of blob {y.Extents[0].Blob}", errors[4].Message);
        Assert.Equal("hello", File.ReadAllText(a["out/v"]));
        Assert.Equal("abc", File.ReadAllText(a["out/z"]));
        Assert.False(File.Exists(a["out/c"]));
        Assert.Equal(16, r.NotRestored); // 7 + 5 + c, w, x, y
    }

    [Fact]
    public async Task RestoreAsync_ContentOfAFileNotMadeOrOfANonFile_IsNeitherWrittenNorCounted()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.NotCaptured("gone", EntryKind.File, EntryState.Excluded, "--exclude /gone"); // a hostile catalog: a file below a file
        b.File("gone/f", "stale bytes");
        b.File("kept", "k");
        b.Fifo("pipe");
        b.Change("pipe", e => e with { Size = 5, Extents = [new Extent(0, 5, BlobId.Of("hello"u8), 0)] }); // a hostile catalog: content for a fifo
        await a.Archive.Blobs.PutAsync("hello"u8.ToArray(), default);
        LoadedTree tree = await StoreAsync(a, b);
        var monitor = new RestoreMonitor();

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"] }, monitor);

        Assert.DoesNotContain(r.Problems, p => p.IsError);
        Assert.Equal((1L, 1L), (monitor.BytesTotal, monitor.BytesDone));
        Assert.Equal((1L, 1L, 1L), (r.Files, r.Excluded, r.NotRestored));
        Assert.Equal(EntryKind.Fifo, PosixFs.LStat(PosixFs.FromString(a["out/pipe"])).Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RestoreAsync_DirectoryAndSymlinkOfAnotherOwner_AreGivenItWhenRootAndNotAskedOtherwise(bool noOwners)
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("home", "750");
        b.Change("home", e => e with { Uid = 4321, Gid = 99 });
        b.Symlink("link", "home");
        b.Change("link", e => e with { Uid = 4321, Gid = 99 });
        b.AddXAttr("home", "user.note", [1, 2, 3]);
        LoadedTree tree = await StoreAsync(a, b);

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"], NoOwners = noOwners });

        Assert.False(r.HasErrors, string.Join("\n", r.Problems));
        FileStatus target = PosixFs.LStat(PosixFs.FromString(a["out"]));
        (uint, uint) expected = PosixFs.IsPrivileged && !noOwners ? (4321u, 99u) : (target.Uid, target.Gid);
        foreach (string p in new[] { "home", "link" })
        {
            FileStatus s = PosixFs.LStat(PosixFs.FromString(Path.Combine(a["out"], p)));
            Assert.Equal(expected, (s.Uid, s.Gid));
        }

        XAttr note = Assert.Single(PosixFs.ReadXAttrs(PosixFs.FromString(a["out/home"])), x => x.Name.AsSpan().SequenceEqual("user.note"u8));
        Assert.Equal([1, 2, 3], note.Value);
    }

    [Fact]
    public async Task RestoreAsync_XAttrTheFileSystemCannotHold_IsAWarningAndTheEntryIsRestored()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        var b = new TreeBuilder();
        b.Dir("d");
        b.AddXAttr("d", "nonamespace.note", [1]); // no such namespace: EOPNOTSUPP, as from a file system without xattrs
        b.File("f", "content", "640");
        b.AddXAttr("f", "nonamespace.note", [2]);
        LoadedTree tree = await StoreAsync(a, b);

        RestoreResult r = await RestoreAsync(a, tree, new RestoreOptions { Target = a["out"] });

        List<RestoreProblem> found = [.. r.Problems.Where(p => p.Path is not null).OrderBy(p => p.Path, StringComparer.Ordinal)];
        Assert.Equal([("RST007", "d", false), ("RST007", "f", false)], found.Select(p => (p.Code, p.Path, p.IsError)));
        Assert.All(found, p => Assert.StartsWith("extended attribute not restored: ", p.Message, StringComparison.Ordinal));
        Assert.All(found, p => Assert.True(p.Message.Length > "extended attribute not restored: ".Length));
        Assert.Equal("content", File.ReadAllText(a["out/f"]));
        Assert.Equal(TreeBuilder.Octal("640"), ModeOf(a["out/f"]));
        Assert.Equal(3, r.Restored);
    }

    [Fact]
    public async Task RestoreAsync_NullArguments_AreRefusedBeforeAnythingIsWritten()
    {
        await using TestArchive a = await TestArchive.CreateAsync();
        LoadedTree tree = await StoreAsync(a, new TreeBuilder());
        var restorer = new TreeRestorer(a.Archive);

        Assert.Equal("archive", Assert.Throws<ArgumentNullException>(() => new TreeRestorer(null!)).ParamName);
        Assert.Equal("tree", (await Assert.ThrowsAsync<ArgumentNullException>(() => restorer.RestoreAsync((LoadedTree)null!, new RestoreOptions { Target = a["out"] }, default))).ParamName);
        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentNullException>(() => restorer.RestoreAsync(tree, null!, default))).ParamName);
        Assert.False(Directory.Exists(a["out"]));
    }

    [Fact]
    public void RestoreProblemSummary_Of_NullOrNegative_IsRefused()
    {
        Assert.Equal("problems", Assert.Throws<ArgumentNullException>(() => RestoreProblemSummary.Of(null!, 3)).ParamName);
        Assert.Equal("morePaths", Assert.Throws<ArgumentOutOfRangeException>(() => RestoreProblemSummary.Of([], -1)).ParamName);
    }

    [Fact]
    public void RestoreRun_NoOptions_RestoresOwnersWhenPrivilegedAndMakesDevices()
    {
        string dir = Directory.CreateTempSubdirectory("cvmp-run-").FullName;
        try
        {
            var run = new RestoreRun(AsGiven(new TreeBuilder()), RestoreTarget.Prepare(Path.Combine(dir, "out")), privileged: true);

            Assert.True(run.RestoreOwners);
            Assert.False(run.NoDevices);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
