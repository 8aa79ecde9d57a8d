using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Posix;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Archiver;

/// <summary>
/// The unchanged-file check (size, mtime, ctime, inode, device: FORMAT.md §6.2's source observations), one
/// field at a time, through whole snapshots: a file whose content changed and whose one field tells so is
/// read again and its new content captured. The other fields are made to match the previous version, so
/// that a check that ignored the field under test would keep the old content.
/// </summary>
public sealed class UnchangedFileSnapshotTests
{
    private static readonly CapsuleName Capsule = CapsuleName.Parse("unchanged");

    private static Task<SnapshotResult> SnapshotAsync(ArchiverFixture f, ITreeSource tree) =>
        new TreeSnapshotter(f.Archive).SnapshotAsync(new SnapshotOptions { Source = f.Tree, Tree = tree, Capsule = Capsule, Workers = 2 }, default);

    private static async Task<TreeEntry> CapturedAsync(ArchiverFixture f, SnapshotResult r, string path)
    {
        byte[] catalog = await f.Archive.Blobs.GetAsync(BlobId.Parse(r.Version.Manifest.Tree.Catalog), default);
        return TreeCatalog.ReadAll(catalog, "catalog").Single(e => e.DisplayPath == path);
    }

    /// <summary>
    /// The case, on a real file: rewritten in place with the same size and its mtime set back with
    /// utimensat. Size, mtime, inode and device are those of the previous version; only ctime tells.
    /// </summary>
    [Fact]
    public async Task Snapshot_FileRewrittenInPlaceWithItsMtimeReset_IsReadAgainBecauseOfItsCtime()
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        string file = f.Write("etc/config", "value=1\n"u8.ToArray());
        byte[] path = PosixFs.FromString(file);
        SnapshotResult first = await SnapshotAsync(f, f.Source());
        TreeEntry before = await CapturedAsync(f, first, "etc/config");
        Thread.Sleep(20); // ctime has a clock tick to move on

        using (FileStream s = new(file, FileMode.Open, FileAccess.Write))
        {
            s.Write("value=2\n"u8);
        }

        PosixFs.SetTimes(path, before.MtimeSeconds, before.MtimeNanoseconds);
        FileStatus now = PosixFs.LStat(path);
        Assert.Equal((before.Size, before.MtimeSeconds, before.MtimeNanoseconds, before.Observed.Inode, before.Observed.Device), (now.Size, now.MtimeSeconds, now.MtimeNanoseconds, (long)now.Inode, (long)now.Device));
        Assert.NotEqual((before.Observed.CtimeSeconds, before.Observed.CtimeNanoseconds), (now.CtimeSeconds, now.CtimeNanoseconds));

        SnapshotResult second = await SnapshotAsync(f, f.Source());

        Assert.Equal(1, second.Summary.FilesRead);
        Assert.Equal(0, second.Summary.FilesUnchanged);
        Assert.Equal(BlobId.Of("value=2\n"u8), (await CapturedAsync(f, second, "etc/config")).Content);
    }

    /// <summary>The control for the tests below: every field as before, and the file is not read (its old content kept).</summary>
    [Fact]
    public async Task Snapshot_EveryFieldAsBefore_FileNotReadAndOldContentKept()
    {
        (SnapshotResult second, BlobId content) = await SnapshotWithOneFieldChangedAsync(null);

        Assert.Equal(0, second.Summary.FilesRead);
        Assert.Equal(2, second.Summary.FilesUnchanged);
        Assert.Equal(BlobId.Of("old!"u8), content);
    }

    [Theory]
    [InlineData("size")]
    [InlineData("mtime")]
    [InlineData("mtime-nanoseconds")]
    [InlineData("ctime")]
    [InlineData("ctime-nanoseconds")]
    [InlineData("inode")]
    [InlineData("device")]
    public async Task Snapshot_OnlyOneFieldDiffers_FileReadAgainAndNewContentCaptured(string field)
    {
        (SnapshotResult second, BlobId content) = await SnapshotWithOneFieldChangedAsync(field);

        Assert.Equal(1, second.Summary.FilesRead);
        Assert.Equal(1, second.Summary.FilesUnchanged); // data/other
        Assert.Equal(BlobId.Of(field == "size" ? "new!!"u8 : "new!"u8), content);
    }

    /// <summary>
    /// Snapshots a file "old!", rewrites it ("new!", or "new!!" for the size), and snapshots again through a
    /// source that reports the file's size, mtime and observations as the first snapshot recorded them but for
    /// <paramref name="field"/>, which differs (by one). Returns the second snapshot and the content it captured.
    /// </summary>
    private static async Task<(SnapshotResult, BlobId)> SnapshotWithOneFieldChangedAsync(string? field)
    {
        await using ArchiverFixture f = await ArchiverFixture.CreateAsync();
        f.Write("data/file", "old!"u8.ToArray());
        f.Write("data/other", "stays"u8.ToArray());
        SnapshotResult first = await SnapshotAsync(f, f.Source());
        TreeEntry before = await CapturedAsync(f, first, "data/file");
        Assert.True(before.Observed.IsKnown);
        f.Write("data/file", field == "size" ? "new!!"u8.ToArray() : "new!"u8.ToArray());

        var observed = new Observations(f.Source(), "data/file", e =>
        {
            SourceObservation o = before.Observed;
            e = e with { Size = before.Size, MtimeSeconds = before.MtimeSeconds, MtimeNanoseconds = before.MtimeNanoseconds, Observed = o };
            return field switch
            {
                null => e,
                "size" => e with { Size = before.Size + 1 },
                "mtime" => e with { MtimeSeconds = before.MtimeSeconds + 1 },
                "mtime-nanoseconds" => e with { MtimeNanoseconds = (before.MtimeNanoseconds + 1) % 1_000_000_000 },
                "ctime" => e with { Observed = o with { CtimeSeconds = o.CtimeSeconds + 1 } },
                "ctime-nanoseconds" => e with { Observed = o with { CtimeNanoseconds = (o.CtimeNanoseconds + 1) % 1_000_000_000 } },
                "inode" => e with { Observed = o with { Inode = o.Inode + 1 } },
                "device" => e with { Observed = o with { Device = o.Device + 1 } },
                _ => throw new ArgumentException(field),
            };
        });
        SnapshotResult second = await SnapshotAsync(f, observed);
        TreeEntry after = await CapturedAsync(f, second, "data/file");
        return (second, after.Content!.Value);
    }

    /// <summary>
    /// A directory source whose walk reports one file as <paramref name="change"/> says: what a file system
    /// would show after a change of only some of its fields (a device number, for one, changes only when a
    /// tree is moved to another file system or snapshotted again from one).
    /// </summary>
    private sealed class Observations(ITreeSource inner, string path, Func<TreeEntry, TreeEntry> change) : ITreeSource
    {
        public string Description => inner.Description;

        public IReadOnlyList<CaptureWarning> Warnings => inner.Warnings;

        public List<TreeEntry> Walk(CancellationToken cancellationToken) =>
            [.. inner.Walk(cancellationToken).Select(e => e.DisplayPath == path ? change(e) : e)];

        public IFileContent Open(TreeEntry entry) => inner.Open(entry);
    }
}
