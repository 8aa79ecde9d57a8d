using System.Globalization;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Replay.Comparison;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Replay.Runs;

/// <summary>An output a run entry leaves, its reference (a blob) and its comparison rule (FORMAT.md §5.3 <c>run</c>).</summary>
public sealed record RunOutput(string Path, string Reference, BlobId ReferenceBlob, OutputComparison Comparison);

/// <summary>One run entry of a capsule (FORMAT.md §5.3 <c>run</c>): what to execute, where, with what, for how long.</summary>
public sealed record RunEntry(
    string Name,
    string? Interpreter,
    string Script,
    string Workdir,
    IReadOnlyList<KeyValuePair<string, string>> Environment,
    IReadOnlyList<string> Args,
    TimeSpan Timeout,
    IReadOnlyList<RunOutput> Outputs)
{
    /// <summary>A run entry without a timeout gets this much.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The environment a run entry starts with before its own variables: what a login shell of the tree would have.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> BaseEnvironment =
    [
        new("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        new("HOME", "/root"),
        new("LANG", "C"),
    ];

    /// <summary>The command line: the interpreter (when named), the script, the arguments.</summary>
    public IReadOnlyList<string> Command => [.. Interpreter is null ? [] : new[] { Interpreter }, Script, .. Args];

    /// <summary>The base environment with the entry's own variables over it.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> FullEnvironment =>
        [.. BaseEnvironment.Where(b => !Environment.Any(e => e.Key == b.Key)), .. Environment];

    /// <summary>Parses a duration as the capsule spec writes it: 250ms, 30s, 2m, 1.5h, 1d.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        int unit = text.EndsWith("ms", StringComparison.Ordinal) ? text.Length - 2 : text.Length - 1;
        if (unit <= 0 || !double.TryParse(text[..unit], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n))
        {
            return false;
        }

        double? seconds = text[unit..] switch
        {
            "ms" => n / 1000,
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86400,
            _ => null,
        };
        if (seconds is not double s || s > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(s);
        return true;
    }

    /// <summary>
    /// The run entries of a version, read from its manifest's <c>components.run</c> (FORMAT.md §5.3); an empty
    /// list when it has none. This is the one place replay reads them.
    /// </summary>
    /// <exception cref="PreserveException">Integrity: an entry the manifest records is malformed, naming the entry and field.</exception>
    public static IReadOnlyList<RunEntry> FromManifest(LoadedManifest version)
    {
        ArgumentNullException.ThrowIfNull(version);
        string where = $"{version.Capsule}@v{version.Version} components.run";
        var entries = new List<RunEntry>();
        foreach (RunComponent r in version.Manifest.Components?.Run ?? [])
        {
            string at = $"{where} '{r.Name}'";
            TimeSpan timeout = DefaultTimeout;
            if (r.Timeout is string t && !TryParseDuration(t, out timeout))
            {
                throw new PreserveException(FailureKind.Integrity, $"{at}: timeout '{t}' is not a duration (30s, 2m, 1h).");
            }

            var outputs = new List<RunOutput>();
            foreach (RunOutputComponent o in r.Outputs)
            {
                if (!BlobId.TryParse(o.ReferenceBlob, out BlobId blob))
                {
                    throw new PreserveException(FailureKind.Integrity, $"{at}: output {o.Path} has no valid referenceBlob.");
                }

                OutputComparison comparison;
                try
                {
                    comparison = OutputComparison.For(o.Compare);
                }
                catch (FormatException e)
                {
                    throw new PreserveException(FailureKind.Integrity, $"{at}: output {o.Path}: {e.Message}", e);
                }

                outputs.Add(new RunOutput(o.Path, o.Reference, blob, comparison));
            }

            entries.Add(new RunEntry(
                r.Name,
                r.Interpreter,
                r.Script,
                r.Workdir ?? "/",
                (r.Environment ?? new Dictionary<string, string>()).ToList(),
                (r.Args ?? []).ToList(),
                timeout,
                outputs));
        }

        return entries;
    }

}
