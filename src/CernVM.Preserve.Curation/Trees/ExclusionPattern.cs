using System.Text;
using System.Text.RegularExpressions;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>
/// An exclusion given by the curator, as restic and rsync users write them: a pattern starting with '/' is
/// anchored at the tree's root; any other matches at the end of a path (so <c>*.o</c> matches every object
/// file). <c>*</c> and <c>?</c> stay within one segment, <c>**</c> crosses segments.
/// </summary>
public sealed class ExclusionPattern
{
    private readonly Regex _regex;

    public ExclusionPattern(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            throw new ArgumentException("An exclusion pattern is not empty.", nameof(pattern));
        }

        Text = pattern;
        string p = pattern.TrimEnd('/');
        bool anchored = p.StartsWith('/');
        var sb = new StringBuilder(anchored ? "^" : "(^|/)");
        string body = anchored ? p[1..] : p;
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c == '*' && i + 1 < body.Length && body[i + 1] == '*')
            {
                sb.Append(".*");
                i++;
            }
            else if (c == '*')
            {
                sb.Append("[^/]*");
            }
            else if (c == '?')
            {
                sb.Append("[^/]");
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        sb.Append('$');
        _regex = new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    public string Text { get; }

    /// <summary>True when the pattern matches <paramref name="relativePath"/> (display form, no leading '/').</summary>
    public bool IsMatch(string relativePath) => _regex.IsMatch(relativePath);
}
