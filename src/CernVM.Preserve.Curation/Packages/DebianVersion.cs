using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// A Debian package version, <c>[epoch:]upstream_version[-debian_revision]</c> (deb-version(7)), ordered
/// as dpkg's <c>verrevcmp</c> orders it.
/// </summary>
/// <param name="Epoch">The epoch; 0 when not written.</param>
/// <param name="Upstream">The upstream version; never empty.</param>
/// <param name="Revision">The Debian revision; empty when not written (a native package).</param>
public readonly record struct DebianVersion(int Epoch, string Upstream, string Revision) : IComparable<DebianVersion>
{
    /// <summary>Parses and validates a version with the rules of dpkg's parseversion.</summary>
    /// <exception cref="FormatException">The version is empty, has an invalid epoch, embedded spaces or characters deb-version(7) forbids.</exception>
    public static DebianVersion Parse(string s) =>
        TryParse(s, out DebianVersion version, out string? error) ? version : throw new FormatException($"'{s}' is not a Debian version: {error}.");

    public static bool TryParse([NotNullWhen(true)] string? s, out DebianVersion version) => TryParse(s, out version, out _);

    /// <summary>Compares two version strings as <c>dpkg --compare-versions</c> does.</summary>
    /// <remarks>
    /// The strings are split into epoch, upstream and revision like dpkg, without rejecting characters
    /// deb-version(7) forbids: versions recorded by old dpkg releases are compared rather than refused.
    /// </remarks>
    public static int Compare(string a, string b) => Compare(Split(a), Split(b));

    /// <summary>Epoch first, then upstream, then revision, each with verrevcmp.</summary>
    /// <returns>Negative, zero or positive (not normalised to -1/1).</returns>
    public static int Compare(DebianVersion a, DebianVersion b)
    {
        int c = a.Epoch.CompareTo(b.Epoch);
        if (c != 0)
        {
            return c;
        }

        c = CompareFragment(a.Upstream ?? string.Empty, b.Upstream ?? string.Empty);
        return c != 0 ? c : CompareFragment(a.Revision ?? string.Empty, b.Revision ?? string.Empty);
    }

    public int CompareTo(DebianVersion other) => Compare(this, other);

    public override string ToString()
    {
        string epoch = Epoch != 0 ? Epoch.ToString(CultureInfo.InvariantCulture) + ":" : string.Empty;
        return string.IsNullOrEmpty(Revision) ? epoch + Upstream : $"{epoch}{Upstream}-{Revision}";
    }

    /// <summary>
    /// Splits a version without validating it: the epoch ends at the first ':', the revision starts after
    /// the last '-' (deb-version(7)). A non-numeric epoch is kept in the upstream part.
    /// </summary>
    internal static DebianVersion Split(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        s = s.Trim();
        int epoch = 0;
        int colon = s.IndexOf(':');
        if (colon > 0 && int.TryParse(s.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out int e))
        {
            epoch = e;
            s = s[(colon + 1)..];
        }

        int dash = s.LastIndexOf('-');
        return dash >= 0 ? new DebianVersion(epoch, s[..dash], s[(dash + 1)..]) : new DebianVersion(epoch, s, string.Empty);
    }

    private static bool TryParse(string? s, out DebianVersion version, [NotNullWhen(false)] out string? error)
    {
        version = default;
        string text = (s ?? string.Empty).Trim(' ', '\t');
        if (text.Length == 0)
        {
            error = "version string is empty";
            return false;
        }

        if (text.AsSpan().IndexOfAny(' ', '\t') >= 0)
        {
            error = "version string has embedded spaces";
            return false;
        }

        int epoch = 0;
        string rest = text;
        int colon = text.IndexOf(':');
        if (colon >= 0)
        {
            ReadOnlySpan<char> epochText = text.AsSpan(0, colon);
            if (epochText.Length == 0 || !int.TryParse(epochText, NumberStyles.None, CultureInfo.InvariantCulture, out epoch))
            {
                error = "epoch is not a non-negative number that fits in 31 bits";
                return false;
            }

            rest = text[(colon + 1)..];
            if (rest.Length == 0)
            {
                error = "nothing after colon in version number";
                return false;
            }
        }

        string upstream = rest;
        string revision = string.Empty;
        int dash = rest.LastIndexOf('-');
        if (dash >= 0)
        {
            upstream = rest[..dash];
            revision = rest[(dash + 1)..];
        }

        if (upstream.Length == 0)
        {
            error = "empty upstream version";
            return false;
        }

        if (!char.IsAsciiDigit(upstream[0]))
        {
            error = "version number does not start with digit";
            return false;
        }

        // deb-version(7): upstream may hold alphanumerics and . + - ~ (':' only because the epoch was split
        // off at the first colon); the revision only alphanumerics and . + ~.
        foreach (char c in upstream)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '+' or '~' or ':'))
            {
                error = $"invalid character '{c}' in version number";
                return false;
            }
        }

        foreach (char c in revision)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '+' or '~'))
            {
                error = $"invalid character '{c}' in revision number";
                return false;
            }
        }

        version = new DebianVersion(epoch, upstream, revision);
        error = null;
        return true;
    }

    // deb-version(7): within a non-digit run, '~' sorts before everything (even the end), then the end,
    // then letters, then all other characters; digit runs compare numerically.
    private static int Order(char c) => c switch
    {
        '~' => -1,
        _ when char.IsAsciiDigit(c) => 0,
        _ when char.IsAsciiLetter(c) => c,
        _ => c + 256,
    };

    private static int CompareFragment(string a, string b)
    {
        int i = 0;
        int j = 0;
        while (i < a.Length || j < b.Length)
        {
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                // The end of a string orders as 0, like a digit: "1.0" < "1.0a" but "1.0~" < "1.0".
                int ca = i < a.Length ? Order(a[i]) : 0;
                int cb = j < b.Length ? Order(b[j]) : 0;
                if (ca != cb)
                {
                    return ca - cb;
                }

                i++;
                j++;
            }

            while (i < a.Length && a[i] == '0')
            {
                i++;
            }

            while (j < b.Length && b[j] == '0')
            {
                j++;
            }

            int firstDifference = 0;
            while (i < a.Length && j < b.Length && char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                if (firstDifference == 0)
                {
                    firstDifference = a[i] - b[j];
                }

                i++;
                j++;
            }

            if (i < a.Length && char.IsAsciiDigit(a[i]))
            {
                return 1;
            }

            if (j < b.Length && char.IsAsciiDigit(b[j]))
            {
                return -1;
            }

            if (firstDifference != 0)
            {
                return firstDifference;
            }
        }

        return 0;
    }
}
