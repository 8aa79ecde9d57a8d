using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Model;
using Spectre.Console;

namespace CernVM.Preserve.Cli;

/// <summary>How commands talk to people and to programs: text on stdout, JSON with --json, messages on stderr.</summary>
public static class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static IAnsiConsole Err { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
        Ansi = Console.IsErrorRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        Interactive = Console.IsErrorRedirected ? InteractionSupport.No : InteractionSupport.Detect,
    });

    public static bool Interactive => !Console.IsErrorRedirected && !Console.IsOutputRedirected;

    public static void Json(JsonNode node) => Console.Out.WriteLine(node.ToJsonString(JsonOptions));

    public static void Line(string text) => Console.Out.WriteLine(text);

    public static void Error(string text) => Console.Error.WriteLine("cvmpreserve: " + text);

    public static void Warn(string text) => Console.Error.WriteLine("warning: " + text);

    private static readonly string[] SizeUnits = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>
    /// A size for people, in IEC binary units (docs/CLI.md §Sizes and durations): <c>512 B</c>, <c>63.8 MiB</c>.
    /// Binary because the format's own sizes are (4 MiB bundles, 256 KiB small files, FORMAT.md §4.3) and
    /// because du -h and ls -lh count the same way; labelled KiB, MiB, GiB so that no one reads them as SI.
    /// JSON carries the exact byte count instead.
    /// </summary>
    public static string Size(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }

        double value = bytes;
        int unit = -1;

        // Divide until the value, rounded to one decimal as printed, stays below 1024: 1,048,575 bytes is
        // 1.0 MiB, not 1024.0 KiB.
        while (unit < SizeUnits.Length - 1 && Math.Round(value, 1) >= 1024)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + SizeUnits[unit];
    }

    /// <summary>
    /// A duration as people write it (docs/CLI.md §Sizes and durations): <c>974 ms</c>, <c>12.1 s</c>,
    /// <c>1 min 3 s</c>, <c>2 h 5 min</c>, <c>3 d 4 h</c>. The value is rounded once, at the precision printed,
    /// so that 59.97 s reads <c>1 min 0 s</c>, never <c>60.0 s</c>.
    /// </summary>
    public static string Duration(TimeSpan t)
    {
        double ms = Math.Max(0, t.TotalMilliseconds);
        long wholeMs = (long)Math.Round(ms, MidpointRounding.AwayFromZero);
        if (wholeMs < 1000)
        {
            return wholeMs.ToString(CultureInfo.InvariantCulture) + " ms";
        }

        long tenths = (long)Math.Round(ms / 100, MidpointRounding.AwayFromZero);
        if (tenths < 600)
        {
            return (tenths / 10.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";
        }

        long seconds = (long)Math.Round(ms / 1000, MidpointRounding.AwayFromZero);
        if (seconds < 3600)
        {
            return Invariant($"{seconds / 60} min {seconds % 60} s");
        }

        long minutes = (long)Math.Round(ms / 60_000, MidpointRounding.AwayFromZero);
        if (minutes < 24 * 60)
        {
            return Invariant($"{minutes / 60} h {minutes % 60} min");
        }

        long hours = (long)Math.Round(ms / 3_600_000, MidpointRounding.AwayFromZero);
        return Invariant($"{hours / 24} d {hours % 24} h");
    }

    /// <summary>
    /// Bytes per second, or null where a rate means nothing: no bytes, or a run shorter than a second (whose
    /// rate is mostly start-up and timer resolution).
    /// </summary>
    public static string? Rate(long bytes, TimeSpan t) =>
        bytes <= 0 || t < TimeSpan.FromSeconds(1) ? null : Size((long)(bytes / t.TotalSeconds)) + "/s";

    /// <summary>How long work on <paramref name="bytes"/> took, with its rate where one means something: <c>12.1 s (84.9 MiB/s)</c>, <c>974 ms</c>.</summary>
    public static string Took(TimeSpan t, long bytes) => Rate(bytes, t) is string rate ? $"{Duration(t)} ({rate})" : Duration(t);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public static string ModeString(TreeEntry e)
    {
        char type = e.Kind switch
        {
            EntryKind.Directory => 'd',
            EntryKind.Symlink => 'l',
            EntryKind.CharDevice => 'c',
            EntryKind.BlockDevice => 'b',
            EntryKind.Fifo => 'p',
            EntryKind.Socket => 's',
            _ => '-',
        };
        int m = e.Mode;
        char[] s = [type, R(m, 0x100), W(m, 0x80), X(m, 0x40, 0x800, 's'), R(m, 0x20), W(m, 0x10), X(m, 0x8, 0x400, 's'), R(m, 0x4), W(m, 0x2), X(m, 0x1, 0x200, 't')];
        return new string(s);

        static char R(int m, int bit) => (m & bit) != 0 ? 'r' : '-';
        static char W(int m, int bit) => (m & bit) != 0 ? 'w' : '-';
        static char X(int m, int bit, int special, char c) =>
            (m & special) != 0 ? ((m & bit) != 0 ? c : char.ToUpperInvariant(c)) : (m & bit) != 0 ? 'x' : '-';
    }

    public static string Time(long seconds, int nanoseconds) =>
        Calendar(seconds, nanoseconds, "yyyy-MM-dd HH:mm:ss") ?? $"@{seconds.ToString(CultureInfo.InvariantCulture)}";

    // A catalog's times are seconds since 1970 that a file system or an archive from elsewhere may hold beyond the
    // years 1-9999 (FORMAT.md §6.2 bounds only the nanoseconds): null then, and the caller shows the number.
    private static string? Calendar(long seconds, int nanoseconds, string format) =>
        seconds >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && seconds < DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100).UtcDateTime.ToString(format, CultureInfo.InvariantCulture)
            : null;

    public static JsonObject EntryJson(TreeEntry e)
    {
        var o = new JsonObject
        {
            ["path"] = "/" + e.DisplayPath,
            ["kind"] = Catalog.EntryKinds.Name(e.Kind),
            ["state"] = e.State.ToString().ToLowerInvariant(),
            ["mode"] = Convert.ToString(e.Mode, 8).PadLeft(4, '0'),
            ["uid"] = e.Uid,
            ["gid"] = e.Gid,
            ["user"] = e.UserName,
            ["group"] = e.GroupName,
            ["size"] = e.Size,
            ["mtime"] = Calendar(e.MtimeSeconds, 0, "yyyy-MM-dd'T'HH:mm:ss") is string day
                ? day + "." + e.MtimeNanoseconds.ToString("D9", CultureInfo.InvariantCulture) + "Z"
                : $"@{e.MtimeSeconds.ToString(CultureInfo.InvariantCulture)}.{e.MtimeNanoseconds.ToString("D9", CultureInfo.InvariantCulture)}",
        };
        if (e.LinkTarget is not null)
        {
            o["target"] = PathBytes.ToDisplay(e.LinkTarget);
        }

        if (e.Kind is EntryKind.CharDevice or EntryKind.BlockDevice)
        {
            o["device"] = $"{e.DeviceMajor},{e.DeviceMinor}";
        }

        if (e.HardlinkTo is long h)
        {
            o["hardlinkTo"] = h;
        }

        if (e.Content is BlobId c)
        {
            o["sha256"] = c.ToString();
        }

        if (e.XAttrs.Count > 0)
        {
            o["xattrs"] = new JsonArray(e.XAttrs.Select(x => (JsonNode)System.Text.Encoding.UTF8.GetString(x.Name)).ToArray());
        }

        if (e.Note is not null)
        {
            o["note"] = e.Note;
        }

        return o;
    }
}
