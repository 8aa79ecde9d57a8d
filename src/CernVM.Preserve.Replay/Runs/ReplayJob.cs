using System.Globalization;
using System.Text;

namespace CernVM.Preserve.Replay.Runs;

/// <summary>
/// The job the carrier's init (tools/carrier/init) sources as <c>/job/job.sh</c>: settings first (up to the line
/// <c># settings-end</c>), then one <c>entry</c> call per run entry and one <c>output</c> call per output, or
/// <c>shell</c> for a console. Every value is single-quoted for sh, so no name, path or argument is ever parsed
/// as shell syntax.
/// </summary>
public static class ReplayJob
{
    /// <summary>The job's text for these entries.</summary>
    public static string Write(IReadOnlyList<RunEntry> entries, string imageFileSystem, bool shell)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var s = new StringBuilder();
        s.Append("# written by cvmpreserve replay; sourced by the carrier's /init\n");
        s.Append("IMAGE_FS=").Append(Quote(imageFileSystem)).Append('\n');
        s.Append("MOUNT_OPTIONS=").Append(Quote(imageFileSystem == "ext4" ? "ro,noload" : "ro")).Append('\n');
        s.Append("# settings-end\n");
        if (shell)
        {
            s.Append("shell\n");
        }

        for (int i = 0; i < entries.Count; i++)
        {
            RunEntry e = entries[i];
            int seconds = (int)Math.Clamp(Math.Ceiling(e.Timeout.TotalSeconds), 1, int.MaxValue);
            s.Append(CultureInfo.InvariantCulture, $"entry {i + 1} {Quote(e.Name)} {seconds} {Quote(e.Workdir)} --");
            foreach ((string k, string v) in e.FullEnvironment)
            {
                s.Append(' ').Append(Quote(k + "=" + v));
            }

            foreach (string a in e.Command)
            {
                s.Append(' ').Append(Quote(a));
            }

            s.Append('\n');
            for (int k = 0; k < e.Outputs.Count; k++)
            {
                s.Append(CultureInfo.InvariantCulture, $"output {i + 1} {k + 1} {Quote(e.Outputs[k].Path)}\n");
            }
        }

        return s.ToString();
    }

    /// <summary>A word for sh: single quotes, each ' written as '\''.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a shell word cannot hold a NUL character.", nameof(value));
        }

        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
