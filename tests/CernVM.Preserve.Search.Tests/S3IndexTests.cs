using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Tests;
using CernVM.Preserve.Storage.S3.Tests;
using Xunit;

namespace CernVM.Preserve.Search.Tests;

/// <summary>An index of an s3:// archive on the real Ceph RGW: updated version by version, then rebuilt from the bucket alone, with the same answers.</summary>
[Collection(RgwCollection.Name)]
public sealed class S3IndexTests(RgwCluster rgw)
{
    private CliResult Cvm(string cache, params string[] args)
    {
        Dictionary<string, string> env = rgw.Env;
        env["XDG_CACHE_HOME"] = cache;
        return CliRunner.Run(TimeSpan.FromMinutes(3), env, args);
    }

    private static readonly string[][] Queries =
    [
        ["search"],
        ["search", "--all-versions"],
        ["search", "--package", "openssl<1.1.1l", "--all-versions"],
        ["search", "--package", "glibc>=2.3,<2.35"],
        ["search", "--file", "/data/*/events.dat", "--all-versions"],
        ["search", "os.distribution:mariner AND path.segment:more.dat", "--all-versions"],
        ["search", "audit:success", "--all-versions"],
    ];

    private List<string> Answers(string cache, string archive)
    {
        var answers = new List<string>();
        foreach (string[] q in Queries)
        {
            CliResult r = Cvm(cache, [.. q, "--json", "--archive", archive]);
            Assert.True(r.ExitCode == 0, r.ToString());
            JsonNode answer = JsonNode.Parse(r.Stdout)!;
            foreach (JsonNode? hit in answer["hits"]!.AsArray())
            {
                hit!.AsObject().Remove("score"); // Lucene's scores count deleted documents until segments merge
            }

            answers.Add(answer.ToJsonString());
        }

        return answers;
    }

    [RgwFact]
    public void RebuildFromTheBucket_AnswersAsTheIncrementalIndex()
    {
        using var t = new TempDir();
        string cache = t["cache"];
        string a = $"s3://{RgwCluster.NewBucket("search")}/archive";
        Assert.Equal(0, Cvm(cache, "init", a).ExitCode);
        Assert.Equal(0, Cvm(cache, "snapshot", "--rootfs", Trees.Make(t["alpha"], "alpha", true), "--name", "alpha", "--archive", a).ExitCode);
        CliResult first = Cvm(cache, "search", "--json", "--archive", a);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(1, (int)JsonNode.Parse(first.Stdout)!["total"]!);

        Assert.Equal(0, Cvm(cache, "snapshot", "--rootfs", Trees.Make(t["beta"], "beta", false), "--name", "beta", "--archive", a).ExitCode);
        Assert.Equal(0, Cvm(cache, "audit", "--archive", a).ExitCode);
        Assert.Equal(2, (int)JsonNode.Parse(Cvm(cache, "search", "--json", "--archive", a).Stdout)!["total"]!);
        File.WriteAllText(Path.Combine(t["alpha"], "data/alpha/more.dat"), "more\n");
        Assert.Equal(0, Cvm(cache, "snapshot", "--rootfs", t["alpha"], "--name", "alpha", "--archive", a).ExitCode);

        List<string> incremental = Answers(cache, a);
        Assert.Contains("\"alpha\"", incremental[2], StringComparison.Ordinal);
        Assert.Contains("more.dat", incremental[5], StringComparison.Ordinal);
        Assert.Contains("\"beta\"", incremental[6], StringComparison.Ordinal);

        CliResult rebuild = Cvm(cache, "index", "rebuild", "--json", "--archive", a);
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        Assert.Equal(3, (int)JsonNode.Parse(rebuild.Stdout)!["versions"]!);
        Assert.Equal(incremental, Answers(cache, a));

        // A second cache, which never saw the archive, builds the same index from the bucket alone.
        Assert.Equal(incremental, Answers(t["cache2"], a));
    }
}
