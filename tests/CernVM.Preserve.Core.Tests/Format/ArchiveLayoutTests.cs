using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Format;

/// <summary>The keys of a version's files (FORMAT.md §3), against the frozen format-1 archive's own layout.</summary>
public class ArchiveLayoutTests
{
    [Fact]
    public void VersionKeys_AreThoseOfTheFrozenFormat1Archive()
    {
        CapsuleName name = CapsuleName.Parse("fixture");
        string archive = RepositoryFiles.PathOf("fixtures/format1/archive");

        Assert.Equal("capsules/fixture/", ArchiveLayout.CapsulePrefix(name));
        Assert.Equal("capsules/fixture/v1/", ArchiveLayout.VersionPrefix(name, 1));
        Assert.Equal("capsules/fixture/v1/manifest.json", ArchiveLayout.Manifest(name, 1));
        Assert.Equal("capsules/fixture/v1/manifest.json.sha256", ArchiveLayout.ManifestSidecar(name, 1));
        Assert.Equal("capsules/fixture/v1/manifest.json.sig", ArchiveLayout.ManifestSignature(name, 1));
        Assert.True(File.Exists(Path.Combine(archive, ArchiveLayout.Manifest(name, 2))));
        Assert.True(File.Exists(Path.Combine(archive, ArchiveLayout.ManifestSidecar(name, 2))));
        Assert.True(Directory.Exists(Path.Combine(archive, ArchiveLayout.VersionPrefix(name, 1))));
    }
}
