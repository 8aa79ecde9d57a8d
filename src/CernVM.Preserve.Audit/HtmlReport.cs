using System.Globalization;
using System.Net;
using System.Text;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Audit;

/// <summary>
/// The audit as one self-contained HTML file an officer can file away: summary, findings, coverage, and
/// charts drawn from the journal (archive size and audit coverage over time), inline CSS and SVG, nothing
/// fetched from anywhere.
/// </summary>
public static class HtmlReport
{
    public static string Render(AuditReport report, JournalCheck journal)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(journal);
        var h = new StringBuilder();
        string status = report.Errors > 0 ? "FAILED" : report.Warnings > 0 ? "PASSED with warnings" : "PASSED";
        string statusClass = report.Errors > 0 ? "bad" : report.Warnings > 0 ? "warn" : "good";
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Audit of ").Append(E(report.Archive)).Append("</title>\n<style>")
         .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}")
         .Append("table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f0f0f0}")
         .Append(".good{color:#1a7f37}.bad{color:#c62828}.warn{color:#b26a00}.status{font-size:1.3em;font-weight:bold}code{font-size:.85em;word-break:break-all}")
         .Append("svg{border:1px solid #ddd;background:#fcfcfc}</style></head><body>\n");
        h.Append("<h1>Audit of ").Append(E(report.Archive)).Append("</h1>\n");
        h.Append("<p id=\"status\" class=\"status ").Append(statusClass).Append("\">").Append(status).Append(": ")
         .Append(report.Errors).Append(" errors, ").Append(report.Warnings).Append(" warnings</p>\n");

        h.Append("<h2>Summary</h2>\n<table id=\"summary\">");
        Row(h, "Started", report.Started);
        Row(h, "Duration", report.Duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s");
        Row(h, "Versions audited", report.Versions.Count.ToString(CultureInfo.InvariantCulture));
        Row(h, "Interrupted versions", report.InterruptedVersions.ToString(CultureInfo.InvariantCulture));
        Row(h, "Blobs present / named", $"{report.BlobsPresent} / {report.BlobsNamed}");
        Row(h, "Fixity scope", report.Coverage.Scope);
        Row(h, "Blob ids re-hashed", $"{report.Coverage.From} – {report.Coverage.To} ({Share(report.Coverage):0.#}% of the id space)");
        Row(h, "Blobs re-hashed", $"{report.Coverage.BlobsChecked} ({report.Coverage.BytesChecked} bytes)");
        Row(h, "File hashes checked", report.FilesChecked.ToString(CultureInfo.InvariantCulture));
        Row(h, "Journal", $"{journal.Events.Count} events, chain {(journal.ChainIntact ? "intact" : "BROKEN")}" +
            (journal.Head is null ? "" : $"; head {journal.Head.Key}, SHA-256 {journal.Head.Sha256}"));
        h.Append("</table>\n");

        h.Append("<h2>Findings</h2>\n");
        if (report.Findings.Count == 0)
        {
            h.Append("<p id=\"no-findings\" class=\"good\">No findings.</p>\n");
        }
        else
        {
            h.Append("<table id=\"findings\"><tr><th>Code</th><th>Severity</th><th>Object</th><th>What</th><th>Affects</th></tr>\n");
            foreach (Finding f in report.Findings)
            {
                h.Append("<tr class=\"").Append(f.IsError ? "bad" : "warn").Append("\"><td>").Append(f.Code.Code).Append("</td><td>")
                 .Append(f.IsError ? "error" : "warning").Append("</td><td><code>").Append(E(f.Subject)).Append("</code></td><td>")
                 .Append(E(f.Message)).Append("</td><td>");
                foreach (AffectedVersion a in f.Affected)
                {
                    h.Append("<div><b>").Append(E(a.ToString())).Append("</b> ").Append(E(string.Join(", ", a.Paths.Take(50))))
                     .Append(a.Paths.Count > 50 ? $" and {a.Paths.Count - 50} more" : "").Append("</div>");
                }

                h.Append("</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        h.Append("<h2>Versions</h2>\n<table id=\"versions\"><tr><th>Version</th><th>Created</th><th>Bytes</th><th>Signed by</th><th>Manifest SHA-256</th></tr>\n");
        foreach (AuditedVersion v in report.Versions)
        {
            h.Append("<tr><td>").Append(E($"{v.Capsule}@v{v.Version}")).Append("</td><td>").Append(E(v.Created)).Append("</td><td>")
             .Append(v.TreeBytes).Append("</td><td><code>").Append(E(v.KeyId ?? "unsigned")).Append("</code></td><td><code>").Append(v.ManifestSha256).Append("</code></td></tr>\n");
        }

        h.Append("</table>\n");

        if (report.Functional.Count > 0)
        {
            h.Append("<h2>Functional fixity</h2>\n<p>Each capsule's run entries replayed and their outputs compared with the archived references.</p>\n");
            h.Append("<table id=\"functional\"><tr><th>Version</th><th>Verdict</th><th>How it ran</th><th>Detail</th></tr>\n");
            foreach (FunctionalResult f in report.Functional)
            {
                h.Append("<tr class=\"").Append(f.Verdict == FunctionalVerdict.Match ? "good" : "bad").Append("\"><td>").Append(E(f.ToString())).Append("</td><td>")
                 .Append(E(f.Verdict.ToString().ToLowerInvariant())).Append("</td><td>").Append(E(f.Mode)).Append("</td><td>").Append(E(f.Detail)).Append("</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        List<JournalEvent> audits = [.. journal.Events.Where(e => e.Fixity is not null)];
        h.Append("<h2>Archive size over time</h2>\n");
        h.Append(Chart("size-chart", audits.Select(e => (e.DateTime, (double)e.Fixity!.ArchiveBytes, e.Outcome)).ToList(), "bytes preserved (sum of the audited versions' trees)", line: true));
        h.Append("<h2>Audit coverage over time</h2>\n");
        h.Append(Chart("coverage-chart", audits.Select(e => (e.DateTime, Share(e.Fixity!), e.Outcome)).ToList(), "% of the blob-id space re-hashed by each audit (red: the audit found errors)", line: false));
        h.Append("<table id=\"coverage\"><tr><th>Audit</th><th>Scope</th><th>Blob ids</th><th>Blobs re-hashed</th><th>Outcome</th></tr>\n");
        foreach (JournalEvent e in audits)
        {
            h.Append("<tr><td>").Append(E(e.DateTime)).Append("</td><td>").Append(E(e.Fixity!.Scope)).Append("</td><td>").Append(E(e.Fixity.From)).Append(" – ")
             .Append(E(e.Fixity.To)).Append("</td><td>").Append(e.Fixity.BlobsChecked).Append("</td><td>").Append(E(e.Outcome)).Append("</td></tr>\n");
        }

        h.Append("</table>\n<p>Made by cvmpreserve audit. Finding codes: FORMAT.md §11 in the archive.</p>\n</body></html>\n");
        return h.ToString();
    }

    private static double Share(FixityCoverage c)
    {
        ulong Parse(string x) => ulong.Parse(x, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (Parse(c.To) - Parse(c.From)) * 100.0 / (1UL << 32);
    }

    private static void Row(StringBuilder h, string name, string value) =>
        h.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");

    // An inline SVG: points (line) or bars, one per journal event, with the first and last time and the maximum.
    private static string Chart(string id, List<(string Time, double Value, string Outcome)> points, string label, bool line)
    {
        const int W = 640, H = 200, L = 70, B = 30;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{E(label)}\">");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{L}\" y=\"14\" font-size=\"12\">{E(label)}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - 10}\" y2=\"{H - B}\" stroke=\"#888\"/><line x1=\"{L}\" y1=\"20\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"#888\"/>");
        if (points.Count == 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{L + 10}\" y=\"{H / 2}\" font-size=\"12\">no audits recorded yet</text></svg>\n");
            return s.ToString();
        }

        double max = Math.Max(points.Max(p => p.Value), 1);
        double step = (W - L - 20) / (double)Math.Max(points.Count, 1);
        double Y(double v) => H - B - (v / max * (H - B - 30));
        var poly = new StringBuilder();
        for (int i = 0; i < points.Count; i++)
        {
            double x = L + 5 + (i * step);
            if (line)
            {
                poly.Append(CultureInfo.InvariantCulture, $"{x + (step / 2):0.#},{Y(points[i].Value):0.#} ");
                s.Append(CultureInfo.InvariantCulture, $"<circle class=\"point\" cx=\"{x + (step / 2):0.#}\" cy=\"{Y(points[i].Value):0.#}\" r=\"3\" fill=\"#1565c0\"><title>{E(points[i].Time)}: {points[i].Value:0}</title></circle>");
            }
            else
            {
                s.Append(CultureInfo.InvariantCulture, $"<rect class=\"point\" x=\"{x:0.#}\" y=\"{Y(points[i].Value):0.#}\" width=\"{Math.Max(step - 4, 1):0.#}\" height=\"{H - B - Y(points[i].Value):0.#}\" fill=\"{(points[i].Outcome == "failure" ? "#c62828" : "#2e7d32")}\"><title>{E(points[i].Time)}: {points[i].Value:0.#}%</title></rect>");
            }
        }

        if (line)
        {
            s.Append("<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"").Append(poly.ToString().Trim()).Append("\"/>");
        }

        s.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"30\" font-size=\"11\">{(line ? Bytes(max) : max.ToString("0.#", CultureInfo.InvariantCulture) + "%")}</text><text x=\"4\" y=\"{H - B}\" font-size=\"11\">0</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{L}\" y=\"{H - 10}\" font-size=\"11\">{E(points[0].Time[..10])}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{W - 90}\" y=\"{H - 10}\" font-size=\"11\">{E(points[^1].Time[..10])}</text>");
        s.Append("</svg>\n");
        return s.ToString();
    }

    private static string Bytes(double n)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        int u = 0;
        while (n >= 1000 && u < units.Length - 1)
        {
            n /= 1000;
            u++;
        }

        return n.ToString("0.#", CultureInfo.InvariantCulture) + " " + units[u];
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
