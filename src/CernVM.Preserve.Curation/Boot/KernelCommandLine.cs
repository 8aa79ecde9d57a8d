using System.Text;

namespace CernVM.Preserve.Curation.Boot;

/// <summary>
/// The kernel command line (Documentation/admin-guide/kernel-parameters.rst: blank-separated words,
/// <c>name=value</c> or a bare flag, double quotes around values with blanks) and micro-CernVM's arguments
/// in it: the ones its init scripts read to choose the OS repository and snapshot (docs/CVMFS.md §8;
/// cernvm/cernvm-micro scripts.d/14cvmfs: <c>cvmfs_repos</c>, <c>cvmfs_server</c>, <c>cvmfs_cdn</c>, <c>cvmfs_proxy</c>, <c>cvmfs_url</c>,
/// <c>cvmfs_repository_tag</c>, <c>cvmfs_repository_date</c>, <c>cernvm_path</c>, <c>cernvm_inject</c>, …).
/// </summary>
public static class KernelCommandLine
{
    /// <summary>The prefixes of micro-CernVM's own arguments.</summary>
    private static readonly string[] MicroCernvmPrefixes = ["cvmfs_", "cernvm_", "ucernvm_"];

    /// <summary>The words of a command line as (name, value) pairs; a bare flag has a null value.</summary>
    public static List<(string Name, string? Value)> Parse(string cmdline)
    {
        var result = new List<(string, string?)>();
        var word = new StringBuilder();
        bool quoted = false;
        foreach (char c in cmdline + " ")
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (word.Length > 0)
                {
                    string w = word.ToString();
                    int eq = w.IndexOf('=', StringComparison.Ordinal);
                    result.Add(eq < 0 ? (w, null) : (w[..eq], w[(eq + 1)..]));
                    word.Clear();
                }
            }
            else
            {
                word.Append(c);
            }
        }

        return result;
    }

    /// <summary>micro-CernVM's arguments of a command line, by name (the last one wins, as the init scripts read them); empty when none.</summary>
    public static SortedDictionary<string, string?> MicroCernvmArguments(string cmdline)
    {
        var found = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        foreach ((string name, string? value) in Parse(cmdline))
        {
            if (MicroCernvmPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            {
                found[name] = value;
            }
        }

        return found;
    }
}
