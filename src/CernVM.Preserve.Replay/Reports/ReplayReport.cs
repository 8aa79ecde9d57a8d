using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Replay.Boot;

namespace CernVM.Preserve.Replay.Reports;

/// <summary>The verdict on one output.</summary>
public enum OutputVerdict
{
    /// <summary>Equal to its reference under its rule.</summary>
    Match,

    /// <summary>Different from its reference under its rule.</summary>
    Differ,

    /// <summary>The run entry did not leave it.</summary>
    Missing,

    /// <summary>Its reference blob cannot be read from the archive.</summary>
    ReferenceMissing,

    /// <summary>Not compared (the replay ran without --verify).</summary>
    NotCompared,
}

/// <summary>The verdict of a whole replay; the command's exit code follows from it (docs/CLI.md).</summary>
public enum ReplayVerdict
{
    /// <summary>Every output of every run entry matches its reference.</summary>
    Match,

    /// <summary>At least one output differs or is missing, or an entry failed or exceeded its timeout.</summary>
    Differ,

    /// <summary>The capsule has no run entry: the environment booted, there was nothing to verify.</summary>
    NothingToVerify,

    /// <summary>The entries ran and their outputs were collected, without comparison.</summary>
    NotVerified,

    /// <summary>The guest did not finish: it panicked, hung, or the carrier stopped.</summary>
    GuestFailed,
}

/// <summary>One output of a run entry in the report.</summary>
public sealed record OutputReport(string Path, string Rule, OutputVerdict Verdict, string? FirstDifference, int DifferenceCount, string? File);

/// <summary>One run entry in the report: how it ended and its outputs.</summary>
public sealed record EntryReport(string Name, int? ExitCode, double? Seconds, bool TimedOut, string? Log, IReadOnlyList<OutputReport> Outputs);

/// <summary>The carrier a replay booted: its capsule version and what it is made of.</summary>
public sealed record CarrierUse(string Capsule, int Version, string Description);

/// <summary>
/// What a replay did and found. Written beside the outputs as report.json and report.txt (each written whole under
/// a temporary name and then renamed, so a report that exists is complete), and summarised in the journal.
/// </summary>
public sealed record ReplayReport(
    string Capsule,
    int Version,
    string ManifestSha256,
    string Mode,
    CarrierUse? Carrier,
    string? KernelArguments,
    IReadOnlyList<string> Decisions,
    GuestEnd? GuestEnd,
    string? GuestReason,
    IReadOnlyList<EntryReport> Entries,
    ReplayVerdict Verdict,
    DateTimeOffset Started,
    double Seconds,
    IReadOnlyDictionary<string, double> Timings)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The report as JSON (a stable shape; numbers in seconds).</summary>
    public JsonObject ToJson() => new()
    {
        ["capsule"] = Capsule,
        ["version"] = Version,
        ["manifestSha256"] = ManifestSha256,
        ["mode"] = Mode,
        ["carrier"] = Carrier is null ? null : new JsonObject { ["capsule"] = Carrier.Capsule, ["version"] = Carrier.Version, ["description"] = Carrier.Description },
        ["kernelArguments"] = KernelArguments,
        ["decisions"] = new JsonArray(Decisions.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
        ["guest"] = GuestEnd is null ? null : new JsonObject { ["end"] = Kebab(GuestEnd.Value.ToString()), ["reason"] = GuestReason },
        ["verdict"] = Kebab(Verdict.ToString()),
        ["entries"] = new JsonArray(Entries.Select(e => (JsonNode)new JsonObject
        {
            ["name"] = e.Name,
            ["exitCode"] = e.ExitCode,
            ["seconds"] = e.Seconds,
            ["timedOut"] = e.TimedOut,
            ["log"] = e.Log,
            ["outputs"] = new JsonArray(e.Outputs.Select(o => (JsonNode)new JsonObject
            {
                ["path"] = o.Path,
                ["rule"] = o.Rule,
                ["verdict"] = Kebab(o.Verdict.ToString()),
                ["firstDifference"] = o.FirstDifference,
                ["differences"] = o.DifferenceCount,
                ["file"] = o.File,
            }).ToArray()),
        }).ToArray()),
        ["started"] = Started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        ["seconds"] = Math.Round(Seconds, 3),
        ["timings"] = new JsonObject(Timings.Select(t => new KeyValuePair<string, JsonNode?>(t.Key, Math.Round(t.Value, 3)))),
    };

    /// <summary>The verification table: entry, output, rule, verdict, first difference.</summary>
    public IReadOnlyList<string[]> Table() =>
        Entries.SelectMany(e => e.Outputs.Count == 0
            ? [[e.Name, "-", "-", EntryState(e), ""]]
            : e.Outputs.Select(o => new[] { e.Name, o.Path, o.Rule, Kebab(o.Verdict.ToString()) + (o.Verdict == OutputVerdict.Match ? "" : EntryNote(e)), o.FirstDifference ?? "" })).ToList();

    /// <summary>The report as text, for people.</summary>
    public string ToText()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"replay of {Capsule}@v{Version} (manifest sha256 {ManifestSha256})\n");
        s.Append(CultureInfo.InvariantCulture, $"mode       {Mode}\n");
        if (Carrier is not null)
        {
            s.Append(CultureInfo.InvariantCulture, $"carrier    {Carrier.Capsule}@v{Carrier.Version}: {Carrier.Description}\n");
        }

        if (KernelArguments is not null)
        {
            s.Append(CultureInfo.InvariantCulture, $"cmdline    {KernelArguments}\n");
        }

        foreach (string d in Decisions)
        {
            s.Append(CultureInfo.InvariantCulture, $"decided    {d}\n");
        }

        if (GuestEnd is not null)
        {
            s.Append(CultureInfo.InvariantCulture, $"guest      {Kebab(GuestEnd.Value.ToString())}: {GuestReason}\n");
        }

        foreach (EntryReport e in Entries)
        {
            s.Append(CultureInfo.InvariantCulture, $"entry      {e.Name}: {EntryState(e)}\n");
        }

        IReadOnlyList<string[]> rows = Table();
        if (rows.Count > 0)
        {
            string[] head = ["entry", "output", "rule", "verdict", "first difference"];
            int[] w = Enumerable.Range(0, 4).Select(c => rows.Select(r => r[c].Length).Append(head[c].Length).Max()).ToArray();
            string Row(string[] r) => string.Join("  ", r.Take(4).Select((x, c) => x.PadRight(w[c]))) + "  " + r[4];
            s.Append(Row(head).TrimEnd()).Append('\n');
            foreach (string[] r in rows)
            {
                s.Append(Row(r).TrimEnd()).Append('\n');
            }
        }

        s.Append(CultureInfo.InvariantCulture, $"verdict    {Kebab(Verdict.ToString())} ({Seconds:0.0} s)\n");
        return s.ToString();
    }

    /// <summary>Writes report.json and report.txt into <paramref name="directory"/>, each whole or not at all.</summary>
    public void WriteTo(string directory)
    {
        Atomic(Path.Combine(directory, "report.txt"), ToText());
        Atomic(Path.Combine(directory, "report.json"), ToJson().ToJsonString(Indented) + "\n");
    }

    private static void Atomic(string path, string text)
    {
        string tmp = path + ".partial";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }

    private static string EntryState(EntryReport e) =>
        e.ExitCode is null ? "did not run"
        : e.TimedOut ? FormattableString.Invariant($"exceeded its timeout, killed after {e.Seconds:0.0} s")
        : FormattableString.Invariant($"exit {e.ExitCode} in {e.Seconds:0.00} s");

    private static string EntryNote(EntryReport e) => e.TimedOut ? " (entry timed out)" : e.ExitCode is int c and not 0 ? $" (entry exit {c})" : "";

    private static string Kebab(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
