using CernVM.Preserve.Engine;
using CernVM.Preserve.Engine.Archiver;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Trees;

/// <summary>
/// Whatever the source, a snapshot never commits a version that restore refuses: a tree that breaks FORMAT.md §6
/// fails before the manifest is written, naming the entries (issue 11: a CernVM-FS group number read across
/// directories made symlinks hard links to a file, and the version was committed).
/// </summary>
public sealed class InconsistentTreeSnapshotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-inconsistent-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// A tree source that gives exactly the entries it is handed. No source of this software produces such a
    /// tree once its defect is fixed; this one stands for the next defect of a source.
    /// </summary>
    private sealed class GivenTree(List<TreeEntry> entries, Dictionary<string, byte[]> files) : ITreeSource
    {
        public string Description => "given tree";

        public IReadOnlyList<CaptureWarning> Warnings => [];

        public List<TreeEntry> Walk(CancellationToken cancellationToken) => entries;

        public IFileContent Open(TreeEntry entry) => new Bytes(files[entry.DisplayPath]);

        private sealed class Bytes(byte[] bytes) : IFileContent
        {
            public List<(long Offset, long Length)> DataSegments(long size) => size == 0 ? [] : [(0, size)];

            public int Read(Span<byte> buffer, long offset)
            {
                int n = (int)Math.Max(0, Math.Min(buffer.Length, bytes.Length - offset));
                bytes.AsSpan((int)offset, n).CopyTo(buffer);
                return n;
            }

            public void Dispose()
            {
            }
        }
    }

    private static List<TreeEntry> SymlinksGroupedWithAFile() =>
    [
        new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED },
        new TreeEntry { Id = 2, ParentId = 1, Path = "a"u8.ToArray(), Kind = EntryKind.Directory, Mode = 0x1ED },
        new TreeEntry { Id = 3, ParentId = 2, Path = "a/f1"u8.ToArray(), Kind = EntryKind.File, Mode = 0x1A4, Size = 6 },
        new TreeEntry { Id = 4, ParentId = 1, Path = "b"u8.ToArray(), Kind = EntryKind.Directory, Mode = 0x1ED },
        new TreeEntry { Id = 5, ParentId = 4, Path = "b/s1"u8.ToArray(), Kind = EntryKind.Symlink, Mode = 0x1FF, LinkTarget = "../a/f1"u8.ToArray(), Size = 7, HardlinkTo = 3 },
        new TreeEntry { Id = 6, ParentId = 4, Path = "b/s2"u8.ToArray(), Kind = EntryKind.Symlink, Mode = 0x1FF, LinkTarget = "../a/f1"u8.ToArray(), Size = 7, HardlinkTo = 3 },
    ];

    [Fact]
    public async Task SnapshotAsync_SourceGivingSymlinksHardLinkedToAFile_FailsAsIntegrityNamingThemAndCommitsNothing()
    {
        var tree = new GivenTree(SymlinksGroupedWithAFile(), new() { ["a/f1"] = "alpha\n"u8.ToArray() });
        string location = Path.Combine(_dir, "archive");
        Archive archive = await Archive.InitAsync(new FileSystemObjectStore(location), null, default);
        await using (archive)
        {
            PreserveException e = await Assert.ThrowsAsync<PreserveException>(() =>
                new TreeSnapshotter(archive).SnapshotAsync(new SnapshotOptions { Source = tree.Description, Tree = tree, Capsule = CapsuleName.Parse("given") }, default));

            Assert.Equal(FailureKind.Integrity, e.Kind);
            Assert.Contains("'b/s1': a symlink that is a hard link to entry 3 'a/f1', a file", e.Message);
            Assert.Contains("'b/s2'", e.Message);
            Assert.Empty(await archive.ListVersionsAsync(CapsuleName.Parse("given"), default));
        }

        // Not even an incomplete version: no manifest was written for the number the snapshot would have taken.
        Assert.False(Directory.Exists(Path.Combine(location, "capsules", "given")) && Directory.EnumerateFiles(Path.Combine(location, "capsules", "given"), "manifest.json", SearchOption.AllDirectories).Any());
    }
}
