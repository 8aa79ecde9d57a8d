using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary><c>storage validate</c> on a directory archive (the S3 side is in CernVM.Preserve.Storage.S3.Tests).</summary>
public class StorageValidateTests
{
    [Fact]
    public void StorageValidate_Directory_EveryCheckHoldsAndTheScratchIsRemoved()
    {
        using var t = new TempDir();
        string a = t["archive"];
        Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
        string[] before = Directory.GetFileSystemEntries(a, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

        CliResult r = CliRunner.Run("storage", "validate", a, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        JsonNode result = JsonNode.Parse(r.Stdout)!;
        Assert.True((bool)result["ok"]!);
        JsonArray checks = result["checks"]!.AsArray();
        Assert.Equal(10, checks.Count); // four round trips, missing key, overwrite, race, flush, listing, retention
        Assert.All(checks, c => Assert.True((bool)c!["held"]!, (string?)c["name"]));
        Assert.Contains(checks, c => (string)c!["name"]! == "racing creates of one key: exactly one wins" && (string)c["detail"]! == "1 of 8 racing writers won");
        Assert.Contains(checks, c => ((string)c!["name"]!).Contains("retention", StringComparison.Ordinal) && !(bool)c["applicable"]!);

        // Nothing of the scratch area is left, apart from the writers' empty tmp/ directory.
        string[] after = Directory.GetFileSystemEntries(a, "*", SearchOption.AllDirectories)
            .Where(p => !Path.GetRelativePath(a, p).StartsWith("tmp", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(before.Where(p => !Path.GetRelativePath(a, p).StartsWith("tmp", StringComparison.Ordinal)), after);
        Assert.Empty(Directory.GetFiles(Path.Combine(a, "tmp"), "*", SearchOption.AllDirectories));

        CliResult text = CliRunner.Run("storage", "validate", a);
        Assert.Contains("every check holds.", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("n/a  every object carries its retention: not applicable: the store has no Object Lock", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void StorageValidate_BadBucketName_IsAUsageErrorNamingIt()
    {
        CliResult r = CliRunner.Run("storage", "validate", "s3://Bad_Bucket/x");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not a valid bucket name", r.Stderr, StringComparison.Ordinal);
    }
}
