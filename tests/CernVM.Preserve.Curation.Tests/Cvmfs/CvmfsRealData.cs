using System.Formats.Tar;
using System.IO.Compression;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>
/// Locates the real CernVM-FS artefacts (fixtures/real-data/cvmfs, provenance in fixtures/README.md) and
/// extracts tarballs into private temporary directories. A missing file fails the test; it never skips.
/// </summary>
internal static class CvmfsRealData
{
    public const string GuineaPigName = "testmigration.cern.ch";
    public const string CorruptName = "migrationtest01.cern.ch";

    private static readonly Lazy<string> Folder = new(FindFolder);

    public static string Directory => Folder.Value;

    public static string PathOf(string fileName)
    {
        string path = Path.Combine(Directory, fileName);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Real-data file {path} is missing; see fixtures/README.md.");
        }

        return path;
    }

    public static byte[] Read(string fileName) => File.ReadAllBytes(PathOf(fileName));

    private static string FindFolder()
    {
        DirectoryInfo? directory = new(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CernVM.Preserve.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException($"Cannot find CernVM.Preserve.sln above {AppContext.BaseDirectory}; the real-data tests need the repository layout.");
        }

        string folder = Path.Combine(directory.FullName, "fixtures", "real-data", "cvmfs");
        if (!System.IO.Directory.Exists(folder))
        {
            throw new InvalidOperationException($"The real-data fixtures {folder} are missing from the checkout. These tests read real CernVM-FS artefacts from it and cannot run without it.");
        }

        return folder;
    }
}

/// <summary>A temporary directory holding extracted tarballs; deleted on dispose.</summary>
internal sealed class ExtractedData : IDisposable
{
    public ExtractedData()
    {
        Root = Path.Combine(Path.GetTempPath(), "cvmfs-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Extracts <paramref name="tarball"/> (a .tar.gz in the real-data folder) into its own sub-directory.</summary>
    public string Extract(string tarball)
    {
        string destination = Path.Combine(Root, Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(tarball)));
        System.IO.Directory.CreateDirectory(destination);
        using FileStream file = File.OpenRead(CvmfsRealData.PathOf(tarball));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gzip, destination, overwriteFiles: false);
        return destination;
    }

    /// <summary>The 2.0-layout repository root (<c>pub/catalogs</c>, which holds the manifest and a <c>data</c> link) in an extraction.</summary>
    public static string RepositoryRoot(string extraction, string fqrn) =>
        Path.Combine(extraction, "srv", "cvmfs", fqrn, "pub", "catalogs");

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The guinea-pig and corrupt repositories, extracted once for a test class.</summary>
public sealed class CvmfsRepositoriesFixture : IDisposable
{
    private readonly ExtractedData _data = new();

    public CvmfsRepositoriesFixture()
    {
        Revision2 = ExtractedData.RepositoryRoot(_data.Extract("guinea_pig_repo_20-revision-2.tar.gz"), CvmfsRealData.GuineaPigName);
        Revision3 = ExtractedData.RepositoryRoot(_data.Extract("guinea_pig_repo_20-revision-3.tar.gz"), CvmfsRealData.GuineaPigName);
        string keys = _data.Extract("guinea_pig_repo_20-keys.tar.gz");
        GuineaPigMasterKeyPem = File.ReadAllText(Path.Combine(keys, "etc", "cvmfs", "keys", CvmfsRealData.GuineaPigName + ".pub"));
        Corrupt = ExtractedData.RepositoryRoot(_data.Extract("corrupt_repo_20-corrupt_repo.tar.gz"), CvmfsRealData.CorruptName);
        string corruptKeys = _data.Extract("corrupt_repo_20-keys.tar.gz");
        CorruptMasterKeyPem = File.ReadAllText(Path.Combine(corruptKeys, "etc", "cvmfs", "keys", CvmfsRealData.CorruptName + ".pub"));
    }

    /// <summary>Repository root of guinea_pig_repo_20 revision 2.</summary>
    public string Revision2 { get; }

    /// <summary>Repository root of guinea_pig_repo_20 revision 3 (nested catalog at /dir5/ndir5).</summary>
    public string Revision3 { get; }

    public string GuineaPigMasterKeyPem { get; }

    public string Corrupt { get; }

    public string CorruptMasterKeyPem { get; }

    public void Dispose() => _data.Dispose();
}
