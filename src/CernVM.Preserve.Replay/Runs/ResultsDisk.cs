using System.Formats.Tar;
using System.Globalization;
using CernVM.Preserve.Core;

namespace CernVM.Preserve.Replay.Runs;

/// <summary>How one run entry ended in the guest.</summary>
/// <param name="ExitCode">The entry's exit status (137: killed, as at its timeout).</param>
/// <param name="Elapsed">Its wall time in the guest.</param>
/// <param name="Log">What it wrote on stdout and stderr.</param>
public sealed record EntryStatus(int ExitCode, TimeSpan Elapsed, byte[] Log);

/// <summary>What the carrier wrote onto the results disk: each entry's status and log, and each output it found.</summary>
public sealed record ReplayResults(IReadOnlyDictionary<int, EntryStatus> Entries, IReadOnlyDictionary<(int Entry, int Output), byte[]> Outputs);

/// <summary>
/// Reads the results disk: a raw disk onto which the carrier wrote one tar archive of <c>status/I</c> ("EXIT
/// CENTISECONDS"), <c>log/I</c> and <c>out/I/K</c> (tools/carrier/init), so the host needs no mount to read it.
/// </summary>
public static class ResultsDisk
{
    /// <summary>Makes an empty (sparse) results disk of <paramref name="bytes"/> bytes.</summary>
    public static void Create(string path, long bytes)
    {
        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        f.SetLength(bytes);
    }

    /// <summary>Reads the archive on the disk.</summary>
    /// <exception cref="PreserveException">Environment: the disk holds no readable tar archive.</exception>
    public static ReplayResults Read(string path)
    {
        var entries = new Dictionary<int, EntryStatus>();
        var outputs = new Dictionary<(int, int), byte[]>();
        var statuses = new Dictionary<int, string>();
        var logs = new Dictionary<int, byte[]>();
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read);
            using var tar = new TarReader(f);
            while (tar.GetNextEntry() is TarEntry e)
            {
                string name = e.Name.StartsWith("./", StringComparison.Ordinal) ? e.Name[2..] : e.Name;
                if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || e.DataStream is null)
                {
                    continue;
                }

                var data = new MemoryStream();
                e.DataStream.CopyTo(data);
                string[] parts = name.Split('/');
                if (parts is ["status", string i] && int.TryParse(i, CultureInfo.InvariantCulture, out int si))
                {
                    statuses[si] = System.Text.Encoding.ASCII.GetString(data.ToArray()).Trim();
                }
                else if (parts is ["log", string l] && int.TryParse(l, CultureInfo.InvariantCulture, out int li))
                {
                    logs[li] = data.ToArray();
                }
                else if (parts is ["out", string oi, string ok] && int.TryParse(oi, CultureInfo.InvariantCulture, out int ei) && int.TryParse(ok, CultureInfo.InvariantCulture, out int k))
                {
                    outputs[(ei, k)] = data.ToArray();
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new PreserveException(FailureKind.Environment, $"{path}: the results disk holds no readable tar archive: {e.Message}", e);
        }

        foreach ((int i, string s) in statuses)
        {
            string[] f = s.Split(' ');
            if (f.Length == 2 && int.TryParse(f[0], CultureInfo.InvariantCulture, out int code) && long.TryParse(f[1], CultureInfo.InvariantCulture, out long cs))
            {
                entries[i] = new EntryStatus(code, TimeSpan.FromMilliseconds(cs * 10), logs.GetValueOrDefault(i, []));
            }
        }

        return new ReplayResults(entries, outputs);
    }
}
