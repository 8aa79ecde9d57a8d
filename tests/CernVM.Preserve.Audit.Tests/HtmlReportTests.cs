using System.Diagnostics;
using System.Text.RegularExpressions;
using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>The HTML report as a browser shows it: headless Chromium (Debian's chromium) renders the file.</summary>
public class HtmlReportTests : IClassFixture<GoodArchive>
{
    private readonly GoodArchive _good;

    public HtmlReportTests(GoodArchive good) => _good = good;

    private static string Chromium(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/chromium") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi) ?? throw new InvalidOperationException("chromium did not start (tools/install-test-deps.sh installs it)");
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 120 s");
        }

        Assert.True(p.ExitCode == 0, $"chromium exited {p.ExitCode}: {e.Result}");
        return o.Result;
    }

    [Fact]
    public void AuditReport_RenderedInChromium_ShowsSummaryFindingsAndChartsFromTheJournal()
    {
        using TempDir t = _good.Copy(out string archive);
        Assert.Equal(0, CliRunner.Run("audit", "--sample", "50", "--archive", archive).ExitCode);
        Assert.Equal(0, CliRunner.Run("audit", "--sample", "50", "--archive", archive).ExitCode);
        string blob = BadArchives.SomeContentBlob(archive);
        BadArchives.FlipByte(GoodArchive.BlobPath(archive, blob), 0.5);
        string report = t["report.html"];
        CliResult r = CliRunner.Run("audit", "--deep", "--report", report, "--archive", archive);
        Assert.Equal(3, r.ExitCode);

        // One self-contained file: nothing to fetch from anywhere.
        string html = File.ReadAllText(report);
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=", RegexOptions.IgnoreCase), html);

        string dom = Chromium("--dump-dom", "file://" + report);
        Assert.Matches(@"<p id=""status"" class=""status bad"">FAILED: 1 errors, 0 warnings</p>", dom);
        Assert.Contains($"blobs/sha256/{blob[..2]}/{blob}", dom);
        foreach (string v in new[] { "good@v1", "good@v2", "other@v1" })
        {
            Assert.Contains($"<b>{v}</b> /big.bin", dom);
        }

        // Three audits in the journal: three points of size, three bars of coverage (50%, 50%, 100%).
        Assert.Equal(3, Regex.Matches(Between(dom, "<svg id=\"size-chart\"", "</svg>"), "class=\"point\"").Count);
        string coverage = Between(dom, "<svg id=\"coverage-chart\"", "</svg>");
        Assert.Equal(3, Regex.Matches(coverage, "class=\"point\"").Count);
        Assert.Contains("100%</title>", coverage);
        Assert.Equal(4, Regex.Matches(Between(dom, "<table id=\"coverage\"", "</table>"), "<tr>").Count);

        string png = t["report.png"];
        Chromium("--screenshot=" + png, "--window-size=1200,1800", "--hide-scrollbars", "file://" + report);
        byte[] image = File.ReadAllBytes(png);
        Assert.True(image.Length > 20_000, $"the screenshot holds {image.Length} bytes: nothing drawn?");
        Assert.Equal(0x89, image[0]);
    }

    private static string Between(string text, string start, string end)
    {
        int s = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(s >= 0, $"{start} not in the rendered page");
        int e = text.IndexOf(end, s, StringComparison.Ordinal);
        return text[s..e];
    }
}
