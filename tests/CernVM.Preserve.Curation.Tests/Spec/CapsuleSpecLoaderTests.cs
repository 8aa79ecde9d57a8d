using CernVM.Preserve.Core;
using CernVM.Preserve.Curation.Spec;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Spec;

public class CapsuleSpecLoaderTests
{
    private static string Repo()
    {
        string? d = AppContext.BaseDirectory;
        while (d is not null && !File.Exists(Path.Combine(d, "CernVM.Preserve.sln")))
        {
            d = Path.GetDirectoryName(d);
        }

        return d ?? throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void Load_DemoSpec_GivesEveryComponent()
    {
        CapsuleSpec spec = CapsuleSpecLoader.Load(Path.Combine(Repo(), "fixtures/demo/capsule.yaml"));
        Assert.Equal("demo-aleph", spec.Name);
        Assert.Equal(4, spec.DphepLevel);
        Assert.Equal("demo-meta", spec.Os.Metapackage);
        Assert.Equal(Path.Combine(Repo(), "out/demo-env"), spec.Resolve(spec.Os.Rootfs));
        SoftwareSpec sw = Assert.Single(spec.Software);
        Assert.Equal("11.6", sw.Version);
        RunSpec run = Assert.Single(spec.Run);
        Assert.Equal(["/aleph/alpha/data/events.txt", "/tmp/alpha-out"], run.Args);
        Assert.Equal(2, run.Outputs!.Count);
        Assert.Equal(CernVM.Preserve.Core.Format.ComparisonKind.Numeric, run.Outputs[1].Compare!.Kind);
        Assert.Equal(1e-9, run.Outputs[1].Compare!.RelTol);
    }

    [Fact]
    public void Parse_Json_IsAcceptedToo()
    {
        CapsuleSpec spec = CapsuleSpecLoader.Parse("{\"name\": \"x\", \"os\": {\"rootfs\": \"root\"}}", "/tmp/x.json");
        Assert.Equal("x", spec.Name);
    }

    [Theory]
    [InlineData("111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111")]
    [InlineData("1e400")]
    public void Parse_NumberTooLargeToCheck_IsAUsageErrorNamingTheFile(string number)
    {
        PreserveException e = Assert.Throws<PreserveException>(() => CapsuleSpecLoader.Parse($"{{\"name\": \"x\", \"dphepLevel\": {number}, \"os\": {{\"rootfs\": \"root\"}}}}", "capsule.json"));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.StartsWith("capsule.json: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Errors_NameFileLineColumnAndField()
    {
        const string yaml = """
            name: demo
            dphepLevel: 7
            os:
              rootfs: root
              surprise: 1
            run:
              - name: r
                script: /bin/run
                timeout: 5
            """;
        PreserveException e = Assert.Throws<PreserveException>(() => CapsuleSpecLoader.Parse(yaml, "capsule.yaml"));
        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains("capsule.yaml:2:13: /dphepLevel:", e.Message);
        Assert.Contains("capsule.yaml:9:14: /run/0/timeout:", e.Message);
        Assert.Contains("/os", e.Message);
        Assert.Contains("surprise", e.Message);
    }

    [Fact]
    public void Parse_BrokenYaml_SaysWhere()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => CapsuleSpecLoader.Parse("name: [unclosed\nos: {", "bad.yaml"));
        Assert.StartsWith("bad.yaml:", e.Message);
        Assert.Contains("not valid YAML", e.Message);
    }

    [Fact]
    public void Parse_QuotedNumber_StaysText()
    {
        CapsuleSpec spec = CapsuleSpecLoader.Parse("name: x\nos: {rootfs: r}\nsoftware:\n  - {name: a, version: '11.60', source: s, mountPoint: /a}\n", "s.yaml");
        Assert.Equal("11.60", spec.Software[0].Version);
    }
}
