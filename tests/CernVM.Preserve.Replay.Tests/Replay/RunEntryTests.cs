using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Replay.Runs;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Replay.Tests.Replay;

public class RunEntryTests
{
    private static LoadedManifest With(JsonNode run) => new(
        CernVM.Preserve.Core.Model.CapsuleName.Parse("c"), 1,
        new Manifest
        {
            Capsule = "c",
            Created = "2026-12-02T00:00:00Z",
            Producer = new Producer("t", "0", "h", "u"),
            Tree = new TreeSummary { Catalog = new string('0', 64), Source = "/" },
            Statistics = new SnapshotStatistics(),
            Components = new EnvironmentComponents { Run = run.Deserialize<List<RunComponent>>() },
        },
        [], "", null);

    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1.5h", 5400)]
    [InlineData("1d", 86400)]
    public void TryParseDuration_SpecForms_Seconds(string text, double seconds)
    {
        Assert.True(RunEntry.TryParseDuration(text, out TimeSpan t));
        Assert.Equal(seconds, t.TotalSeconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("m")]
    [InlineData("5w")]
    [InlineData("-5s")]
    public void TryParseDuration_Malformed_False(string text) => Assert.False(RunEntry.TryParseDuration(text, out _));

    [Fact]
    public void FromManifest_DemoEntry_AllFieldsAndRules()
    {
        IReadOnlyList<RunEntry> e = RunEntry.FromManifest(With(JsonNode.Parse("""
            [{"name": "a", "interpreter": "/bin/sh", "script": "/s.sh", "workdir": "/tmp", "environment": {"X": "1"}, "args": ["p"], "timeout": "2m",
              "outputs": [{"path": "/o", "reference": "/r", "referenceBlob": "%", "compare": {"numeric": {"relTol": 1e-9}}}]}]
            """.Replace("%", new string('b', 64), StringComparison.Ordinal))!));
        RunEntry a = Assert.Single(e);
        Assert.Equal(["/bin/sh", "/s.sh", "p"], a.Command);
        Assert.Equal(TimeSpan.FromMinutes(2), a.Timeout);
        Assert.Contains(new KeyValuePair<string, string>("X", "1"), a.FullEnvironment);
        Assert.Contains(a.FullEnvironment, kv => kv.Key == "PATH");
        Assert.StartsWith("numeric", a.Outputs[0].Comparison.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void FromManifest_BadTimeout_IntegrityNamingEntryAndValue()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => RunEntry.FromManifest(With(JsonNode.Parse("""[{"name": "a", "script": "/s", "timeout": "soon", "outputs": []}]""")!)));
        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal("c@v1 components.run 'a': timeout 'soon' is not a duration (30s, 2m, 1h).", e.Message);
    }
}
