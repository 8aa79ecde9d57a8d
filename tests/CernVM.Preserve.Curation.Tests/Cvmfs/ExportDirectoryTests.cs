using CernVM.Preserve.Core;
using CernVM.Preserve.Curation.Cvmfs;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Cvmfs;

/// <summary>
/// export writes DIR/&lt;fqrn&gt;, the name read from the manifest: a manifest made by hand cannot make it write
/// outside DIR (Path.Combine would take an absolute name as it is, and '..' climbs out).
/// </summary>
public sealed class ExportDirectoryTests
{
    [Theory]
    [InlineData("../../home/user/.ssh")]
    [InlineData("/etc/cron.d")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("repo\nname")]
    [InlineData("repo\0name")]
    public void RepositoryDirectory_NameThatIsNoRepositoryName_RefusedNamingIt(string fqrn)
    {
        PreserveException e = Assert.Throws<PreserveException>(() => CvmfsStratumExporter.RepositoryDirectory("/srv/stratum", fqrn, "a/capsules/x/v1/manifest.json"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains("a/capsules/x/v1/manifest.json: names the CernVM-FS repository", e.Message, StringComparison.Ordinal);
        Assert.Contains("refusing to export it", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cms.cern.ch")]
    [InlineData("sft-nightlies.cern.ch")]
    [InlineData("alice_ocdb.cern.ch")]
    public void RepositoryDirectory_RepositoryName_IsADirectoryOfTheStratum(string fqrn)
    {
        Assert.Equal("/srv/stratum/" + fqrn, CvmfsStratumExporter.RepositoryDirectory("/srv/stratum", fqrn, "m"));
    }
}
