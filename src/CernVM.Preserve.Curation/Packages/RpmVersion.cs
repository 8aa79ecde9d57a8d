namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// rpm's version ordering: <c>rpmvercmp</c> for a single version or release string (rpmio/rpmvercmp.c),
/// and the epoch-first comparison of whole EVRs that rpm applies to dependencies (lib/rpmds.c).
/// </summary>
public static class RpmVersion
{
    /// <summary>
    /// Compares two version (or release) strings as rpmvercmp does: the strings are split into runs of
    /// ASCII digits and runs of ASCII letters, other characters only separate runs; numeric runs compare as
    /// numbers and beat alphabetic runs; <c>~</c> sorts before everything, even the end of the string;
    /// <c>^</c> sorts after the end of the string but before any further run.
    /// </summary>
    /// <returns>Negative when <paramref name="a"/> is older, 0 when equal, positive when newer (always -1, 0 or 1).</returns>
    public static int Compare(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            return 0;
        }

        int i = 0;
        int j = 0;
        while (i < a.Length || j < b.Length)
        {
            while (i < a.Length && !IsSegmentStart(a[i]))
            {
                i++;
            }

            while (j < b.Length && !IsSegmentStart(b[j]))
            {
                j++;
            }

            bool tildeA = i < a.Length && a[i] == '~';
            bool tildeB = j < b.Length && b[j] == '~';
            if (tildeA || tildeB)
            {
                if (!tildeA)
                {
                    return 1;
                }

                if (!tildeB)
                {
                    return -1;
                }

                i++;
                j++;
                continue;
            }

            // The caret is like the tilde, except that a version that has ended is older than one that
            // continues with '^' (1.0 < 1.0^git1), so snapshot versions sort after their base release.
            bool caretA = i < a.Length && a[i] == '^';
            bool caretB = j < b.Length && b[j] == '^';
            if (caretA || caretB)
            {
                if (i >= a.Length)
                {
                    return -1;
                }

                if (j >= b.Length)
                {
                    return 1;
                }

                if (!caretA)
                {
                    return 1;
                }

                if (!caretB)
                {
                    return -1;
                }

                i++;
                j++;
                continue;
            }

            if (i >= a.Length || j >= b.Length)
            {
                break;
            }

            int startA = i;
            int startB = j;
            bool numeric = char.IsAsciiDigit(a[i]);
            if (numeric)
            {
                while (i < a.Length && char.IsAsciiDigit(a[i]))
                {
                    i++;
                }

                while (j < b.Length && char.IsAsciiDigit(b[j]))
                {
                    j++;
                }
            }
            else
            {
                while (i < a.Length && char.IsAsciiLetter(a[i]))
                {
                    i++;
                }

                while (j < b.Length && char.IsAsciiLetter(b[j]))
                {
                    j++;
                }
            }

            // Segments of different kinds: the numeric one is newer (rpm bug #50977).
            if (startB == j)
            {
                return numeric ? 1 : -1;
            }

            ReadOnlySpan<char> segA = a.AsSpan(startA, i - startA);
            ReadOnlySpan<char> segB = b.AsSpan(startB, j - startB);
            if (numeric)
            {
                // Compare as numbers of any length: drop leading zeros, then the longer one is larger.
                segA = segA.TrimStart('0');
                segB = segB.TrimStart('0');
                if (segA.Length != segB.Length)
                {
                    return segA.Length > segB.Length ? 1 : -1;
                }
            }

            int c = segA.SequenceCompareTo(segB);
            if (c != 0)
            {
                return c < 0 ? -1 : 1;
            }
        }

        // All segments equal but separators differed ("2.0" vs "2_0"), or one string has more left.
        if (i >= a.Length && j >= b.Length)
        {
            return 0;
        }

        return i >= a.Length ? -1 : 1;
    }

    /// <summary>
    /// Compares two EVRs as rpm compares dependency ranges: epochs first (a missing epoch is 0), then
    /// versions, then releases only when both sides have one, so <c>1.0</c> equals <c>1.0-5</c>.
    /// </summary>
    public static int Compare(Evr a, Evr b)
    {
        int c = (a.Epoch ?? 0).CompareTo(b.Epoch ?? 0);
        if (c != 0)
        {
            return c < 0 ? -1 : 1;
        }

        c = Compare(a.Version, b.Version);
        if (c != 0 || string.IsNullOrEmpty(a.Release) || string.IsNullOrEmpty(b.Release))
        {
            return c;
        }

        return Compare(a.Release, b.Release);
    }

    private static bool IsSegmentStart(char c) => char.IsAsciiLetterOrDigit(c) || c == '~' || c == '^';
}
