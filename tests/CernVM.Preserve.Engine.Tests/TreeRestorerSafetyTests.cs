using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Restorer;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests;

/// <summary>A hostile or damaged catalog can never make a restore write outside its target.</summary>
public sealed class TreeRestorerSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-restore-safety-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(Archive, LoadedManifest)> CommitAsync(List<TreeEntry> entries, string? tamper = null)
    {
        Archive archive = await Archive.InitAsync(new FileSystemObjectStore(Path.Combine(_dir, "a")), null, default);
        byte[] bytes = TreeCatalog.Write(entries);
        if (tamper is not null)
        {
            // A catalog no writer of ours makes: edited afterwards, as damage or malice would.
            string file = Path.Combine(_dir, "tampered.db");
            File.WriteAllBytes(file, bytes);
            using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = tamper;
                cmd.ExecuteNonQuery();
            }

            bytes = File.ReadAllBytes(file);
        }

        (BlobId catalog, _) = await archive.Blobs.PutAsync(bytes, default);
        LoadedManifest m = await archive.CommitAsync(
            new Manifest
            {
                Capsule = "hostile",
                Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
                Producer = new Producer("test", "1", "h", "u"),
                Tree = new TreeSummary { Catalog = catalog.ToString(), Source = "crafted", Entries = entries.Count },
                Statistics = new SnapshotStatistics(),
            },
            null,
            default);
        return (archive, m);
    }

    [Fact]
    public async Task Restore_EntryNotInsideItsParent_IsRefusedBeforeAnythingIsWritten()
    {
        List<TreeEntry> entries =
        [
            new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED },
            new TreeEntry { Id = 2, ParentId = 1, Path = "link"u8.ToArray(), Kind = EntryKind.Symlink, Mode = 0x1FF, LinkTarget = "/etc"u8.ToArray(), Size = 4 },
            new TreeEntry { Id = 3, ParentId = 1, Path = "passwd"u8.ToArray(), Kind = EntryKind.File, Mode = 0x1A4 },
        ];

        // The writer refuses such a tree (TreeCatalogInvariants): only a catalog edited afterwards holds it.
        (Archive archive, LoadedManifest m) = await CommitAsync(entries, "UPDATE entries SET path = CAST('link/passwd' AS BLOB), parent = 2 WHERE id = 3");
        await using (archive)
        {
            string target = Path.Combine(_dir, "out");
            PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => new TreeRestorer(archive).RestoreAsync(m, new RestoreOptions { Target = target }, default));
            Assert.Equal(FailureKind.Integrity, e.Kind);
            Assert.Contains("link/passwd", e.Message);
            Assert.False(Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any());
        }
    }

    [Fact]
    public async Task Restore_HardLinkToALaterEntry_IsRefused()
    {
        List<TreeEntry> entries =
        [
            new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED },
            new TreeEntry { Id = 2, ParentId = 1, Path = "a"u8.ToArray(), Kind = EntryKind.File },
            new TreeEntry { Id = 3, ParentId = 1, Path = "b"u8.ToArray(), Kind = EntryKind.File },
        ];
        (Archive archive, LoadedManifest m) = await CommitAsync(entries, "UPDATE entries SET hardlink_to = 3 WHERE id = 2");
        await using (archive)
        {
            PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => new TreeRestorer(archive).RestoreAsync(m, new RestoreOptions { Target = Path.Combine(_dir, "out") }, default));
            Assert.Contains("hard link", e.Message);
        }
    }

    /// <summary>
    /// An extent whose blob offset is near 2^63: its end overflows a sum, so the bound is checked without one;
    /// the file is reported (RST012) and removed, restore and cat end on named errors, not on an exception.
    /// </summary>
    [Fact]
    public async Task RestoreAndCat_ExtentWhoseBlobOffsetOverflows_ReportedNotThrown()
    {
        byte[] content = "hello"u8.ToArray();
        List<TreeEntry> entries =
        [
            new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED },
            new TreeEntry { Id = 2, ParentId = 1, Path = "a"u8.ToArray(), Kind = EntryKind.File, Mode = 0x1A4, Size = 5, Content = BlobId.Of(content), Extents = [new Extent(0, 5, BlobId.Of(content), long.MaxValue - 2)] },
        ];
        (Archive archive, LoadedManifest m) = await CommitAsync(entries);
        await using (archive)
        {
            await archive.Blobs.PutAsync(content, default);
            await archive.Store.FlushAsync(default);

            RestoreResult r = await new TreeRestorer(archive).RestoreAsync(m, new RestoreOptions { Target = Path.Combine(_dir, "out") }, default);
            RestoreProblem p = Assert.Single(r.Problems, x => x.IsError);
            Assert.Equal(("RST012", "a"), (p.Code, p.Path));
            Assert.Contains("reaches past the end of blob", p.Message);
            Assert.False(File.Exists(Path.Combine(_dir, "out", "a")));

            Engine.Trees.LoadedTree tree = await Engine.Trees.TreeLoader.LoadAsync(archive, m, default);
            PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => new Engine.Trees.TreeFileReader(archive).CopyToAsync(tree, tree.Resolve("/a"), Stream.Null, default));
            Assert.Contains("reaches past the end of blob", e.Message);
        }
    }

    // Every restored byte comes from a blob verified against its SHA-256, at the offsets a verified catalog
    // names. --verify-files also checks each file against its own recorded hash: a catalog whose hash and
    // extents disagree (a defect of the software that wrote it) is then caught, the file not left behind.
    [Fact]
    public async Task Restore_BundledFileWhoseRecordedHashDisagrees_IsCaughtByVerifyFiles()
    {
        byte[] bundle = "helloworld"u8.ToArray();
        BlobId bundleId = BlobId.Of(bundle);
        List<TreeEntry> entries =
        [
            new TreeEntry { Id = 1, Path = [], Kind = EntryKind.Directory, Mode = 0x1ED },
            new TreeEntry { Id = 2, ParentId = 1, Path = "a"u8.ToArray(), Kind = EntryKind.File, Mode = 0x1A4, Size = 5, Content = BlobId.Of("hello"u8), Extents = [new Extent(0, 5, bundleId, 0)] },
            new TreeEntry { Id = 3, ParentId = 1, Path = "b"u8.ToArray(), Kind = EntryKind.File, Mode = 0x1A4, Size = 5, Content = BlobId.Of("WORLD"u8), Extents = [new Extent(0, 5, bundleId, 5)] },
        ];
        (Archive archive, LoadedManifest m) = await CommitAsync(entries);
        await using (archive)
        {
            await archive.Blobs.PutAsync(bundle, default);
            await archive.Store.FlushAsync(default);

            string plain = Path.Combine(_dir, "plain");
            RestoreResult r = await new TreeRestorer(archive).RestoreAsync(m, new RestoreOptions { Target = plain }, default);
            Assert.False(r.HasErrors);
            Assert.Equal("world", File.ReadAllText(Path.Combine(plain, "b")));

            string verified = Path.Combine(_dir, "verified");
            r = await new TreeRestorer(archive).RestoreAsync(m, new RestoreOptions { Target = verified, VerifyWrittenFiles = true }, default);
            RestoreProblem p = Assert.Single(r.Problems, x => x.IsError);
            Assert.Equal(("RST012", "b"), (p.Code, p.Path));
            Assert.Equal("hello", File.ReadAllText(Path.Combine(verified, "a")));
            Assert.False(File.Exists(Path.Combine(verified, "b")));
        }
    }
}
