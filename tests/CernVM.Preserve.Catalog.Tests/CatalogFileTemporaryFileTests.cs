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
/// A catalog is read from a private temporary copy (<see cref="CatalogFile"/>): closed and deleted when the
/// reader is disposed, and when the constructor refuses the catalog. Checked in a directory of the test's own
/// (TMPDIR), for files left behind and for descriptors still open on them (Linux: /proc/self/fd).
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
    public void Dispose_AfterReading_ClosesAndDeletesTheTemporaryCopy()
    {
        var file = new CatalogFile(DamagedCatalog.Written(), "cat");
        file.ReadAll();
        string copy = Assert.Single(Files());
        Assert.StartsWith("cvmpreserve-read-", copy, StringComparison.Ordinal);
        Assert.Single(OpenDescriptors());

        file.Dispose();

        Assert.Empty(Files());
        Assert.Empty(OpenDescriptors());
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
