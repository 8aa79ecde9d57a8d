using CernVM.Preserve.Core;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Engine.Tests.Locations;

public sealed class ArchiveLocationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-location-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task OpenAsync_ReadingAMissingDefaultArchive_SaysThereIsNoneAndCreatesNothing()
    {
        string path = Path.Combine(_dir, "data", "cvmpreserve", "archive");
        var where = new ArchiveLocation(path, IsDefault: true);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => where.OpenAsync(ArchiveAccess.Read, default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains("there is no archive yet", e.Message);
        Assert.Contains(path, e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "data")));
    }

    [Fact]
    public async Task OpenAsync_WritingToAMissingDefaultArchive_CreatesIt()
    {
        string path = Path.Combine(_dir, "data", "cvmpreserve", "archive");
        var where = new ArchiveLocation(path, IsDefault: true);

        await using (Archive archive = await where.OpenAsync(ArchiveAccess.Write, default))
        {
            Assert.Equal(1, archive.Descriptor.Format);
        }

        Assert.True(File.Exists(Path.Combine(path, "0=cernvm-preserve_1")));
        await using Archive again = await where.OpenAsync(ArchiveAccess.Read, default);
        Assert.Empty(await again.ListCapsulesAsync(default));
    }

    [Fact]
    public async Task OpenAsync_WritingToADefaultLocationHoldingOnlyScratch_CreatesTheArchiveThere()
    {
        // What 'storage validate' leaves in the default location on a new machine (FORMAT.md §1.1: tmp/ is
        // writers' scratch): the first snapshot must still find, or make, its archive there.
        string path = Path.Combine(_dir, "data", "cvmpreserve", "archive");
        string scratch = Path.Combine(path, "tmp", "cvmpreserve-validate-20261202T000000Z-0123abcd");
        Directory.CreateDirectory(scratch);
        File.WriteAllText(Path.Combine(scratch, "probe"), "x");
        var where = new ArchiveLocation(path, IsDefault: true);

        await using (Archive archive = await where.OpenAsync(ArchiveAccess.Write, default))
        {
            Assert.Empty(await archive.ListCapsulesAsync(default));
        }

        Assert.True(File.Exists(Path.Combine(path, "0=cernvm-preserve_1")));
        Assert.True(File.Exists(Path.Combine(scratch, "probe")));
    }

    [Fact]
    public async Task OpenAsync_WritingToADefaultLocationHoldingOtherFiles_RefusesAndWritesNothing()
    {
        string path = Path.Combine(_dir, "data", "cvmpreserve", "archive");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "notes.txt"), "mine");
        var where = new ArchiveLocation(path, IsDefault: true);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => where.OpenAsync(ArchiveAccess.Write, default));

        Assert.Contains(path, e.Message);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task OpenAsync_NamedDirectoryThatDoesNotExist_IsNotAnArchiveEvenForAWriter()
    {
        var where = new ArchiveLocation(Path.Combine(_dir, "nowhere"), IsDefault: false);

        PreserveException e = await Assert.ThrowsAsync<PreserveException>(() => where.OpenAsync(ArchiveAccess.Write, default));

        Assert.Equal(FailureKind.NotAnArchive, e.Kind);
        Assert.Contains("cvmpreserve init", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "nowhere")));
    }

    [Fact]
    public void Resolve_OptionGiven_WinsOverTheDefault()
    {
        ArchiveLocation where = ArchiveLocation.Resolve("s3://bucket/prefix", "http://127.0.0.1:9", 4);

        Assert.False(where.IsDefault);
        Assert.True(where.IsS3);
        Assert.Null(where.LocalPath);
        Assert.Equal(4, where.S3Parallel);
    }

    [Fact]
    public async Task RetentionMismatch_DirectoryArchiveWithoutRetention_IsNull()
    {
        await using TestArchive a = await TestArchive.CreateAsync();

        Assert.Null(ArchiveLocation.RetentionMismatch(a.Archive));
    }
}
