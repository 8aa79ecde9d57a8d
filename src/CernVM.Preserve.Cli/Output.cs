using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Model;
using Humanizer;
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

    public static string Size(long bytes) => bytes.Bytes().Humanize("0.#", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan t) =>
        t < TimeSpan.FromSeconds(1) ? $"{t.TotalMilliseconds:0} ms" : t.Humanize(2, CultureInfo.InvariantCulture);

    public static string Rate(long bytes, TimeSpan t) =>
        t.TotalSeconds <= 0 ? "-" : Size((long)(bytes / t.TotalSeconds)) + "/s";

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
        DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

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
            ["mtime"] = DateTimeOffset.FromUnixTimeSeconds(e.MtimeSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + e.MtimeNanoseconds.ToString("D9", CultureInfo.InvariantCulture) + "Z",
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
