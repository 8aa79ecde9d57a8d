namespace CernVM.Preserve.Curation.Trees;

/// <summary>
/// The id → name maps of a tree's own etc/passwd and etc/group (FORMAT.md §6.2 uname/gname): the names an
/// entry's owner had on the system it came from, which the capturing host may not know.
/// </summary>
internal static class AccountNames
{
    /// <summary>The largest account file read; anything bigger is not an account file.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Parses passwd/group lines ("name:x:id:…"); the first name of an id wins.</summary>
    public static Dictionary<long, string> Parse(ReadOnlySpan<byte> content)
    {
        var map = new Dictionary<long, string>();
        foreach (string line in System.Text.Encoding.UTF8.GetString(content).Split('\n'))
        {
            string[] f = line.Split(':');
            if (f.Length >= 3 && f[0].Length > 0 && long.TryParse(f[2], out long id))
            {
                map.TryAdd(id, f[0]);
            }
        }

        return map;
    }
}
