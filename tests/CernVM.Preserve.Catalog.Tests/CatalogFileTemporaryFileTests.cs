using CernVM.Preserve.Core;
using Xunit;

namespace CernVM.Preserve.Catalog.Tests;

/// <summary>
/// Tests that point the process's temporary directory (TMPDIR) elsewhere: they run alone, after the others,
/// so that no other test's temporary files land there.
/// </summary>
[CollectionDefinition(nameof(PrivateTemporaryDirectory), DisableParallelization = true)]
public sealed class PrivateTemporaryDirectory;

/// <summary>
/// A catalog is read where its bytes lie in memory (<see cref="CatalogFile"/>): no temporary copy is written,
/// whether the catalog is read or refused, and no descriptor is left open. Checked in a directory of the test's
/// own (TMPDIR), for files written there and for descriptors open on them (Linux: /proc/self/fd).
/// </summary>
[Collection(nameof(PrivateTemporaryDirectory))]
public sealed class CatalogFileTemporaryFileTests : IDisposable
{
    private readonly string? _previous = Environment.GetEnvironmentVariable("TMPDIR");
    private readonly string _directory = Directory.CreateTempSubdirectory("cvmp-catalog-tmp-").FullName;

    public CatalogFileTemporaryFileTests() => Environment.SetEnvironmentVariable("TMPDIR", _directory);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("TMPDIR", _previous);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Names of the files in the private temporary directory.</summary>
    private string[] Files() => [.. Directory.GetFiles(_directory).Select(Path.GetFileName).OfType<string>()];

    /// <summary>What this process's open descriptors that lead into the private temporary directory point to.</summary>
    private List<string> OpenDescriptors()
    {
        var open = new List<string>();
        foreach (FileSystemInfo fd in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
        {
            try
            {
                if (fd.LinkTarget is string target && target.StartsWith(_directory, StringComparison.Ordinal))
                {
                    open.Add(target);
                }
            }
            catch (IOException)
            {
                // closed while listed
            }
        }

        return open;
    }

    [Fact]
    public void Reading_WritesNoTemporaryCopy()
    {
        byte[] catalog = DamagedCatalog.Written();
        var file = new CatalogFile(catalog, "cat");

        Assert.Equal(DamagedCatalog.Tree(), file.ReadAll());
        Assert.Empty(Files());
        Assert.Empty(OpenDescriptors());

        file.Dispose();
        file.Dispose();

        // SQLite read the caller's array in place and never wrote to it (the database is opened read-only).
        Assert.Equal(DamagedCatalog.Written(), catalog);
    }

    [Fact]
    public void Constructor_DatabaseThatIsNotACatalog_LeavesNoTemporaryCopy()
    {
        byte[] notACatalog = DamagedCatalog.Edit("DROP TABLE catalog_info");

        Assert.Throws<PreserveException>(() => new CatalogFile(notACatalog, "cat"));

        Assert.Empty(Files());
        Assert.Empty(OpenDescriptors());
    }

    [Fact]
    public void Constructor_CatalogOfAnotherFormat_LeavesNoTemporaryCopy()
    {
        byte[] format2 = DamagedCatalog.Edit("UPDATE catalog_info SET value = '2' WHERE key = 'format'");

        Assert.Throws<PreserveException>(() => new CatalogFile(format2, "cat"));

        Assert.Empty(Files());
        Assert.Empty(OpenDescriptors());
    }
}
