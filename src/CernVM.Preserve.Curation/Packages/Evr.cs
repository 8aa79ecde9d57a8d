using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// An rpm epoch-version-release triple, <c>[epoch:]version[-release]</c>, as written in a requirement
/// (<c>openssl-libs = 1:3.0.7-27.el9</c>) or taken from an installed header.
/// </summary>
/// <param name="Epoch">The epoch, or null when not given (rpm treats a missing epoch as 0).</param>
/// <param name="Version">The version; never empty.</param>
/// <param name="Release">The release, or null when not given (a requirement on a version only).</param>
public readonly record struct Evr(int? Epoch, string Version, string? Release) : IComparable<Evr>
{
    /// <summary>Parses <c>[epoch:]version[-release]</c> the way rpm's parseEVR splits it.</summary>
    /// <exception cref="FormatException">The text is empty, the version is empty, or the epoch is not a number.</exception>
    public static Evr Parse(string s) =>
        TryParse(s, out Evr evr) ? evr : throw new FormatException($"'{s}' is not an rpm [epoch:]version[-release].");

    public static bool TryParse([NotNullWhen(true)] string? s, out Evr evr)
    {
        evr = default;
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }

        // lib/rpmds.c parseEVR: the epoch is a run of leading digits followed by ':'; anything else
        // (no colon, or non-digits before it) leaves the whole prefix in the version.
        int? epoch = null;
        string rest = s;
        int digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits]))
        {
            digits++;
        }

        if (digits < s.Length && s[digits] == ':')
        {
            if (digits == 0 || !int.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out int e))
            {
                return false;
            }

            epoch = e;
            rest = s[(digits + 1)..];
        }

        // The release is everything after the last '-': rpm forbids '-' in versions and releases.
        string? release = null;
        int dash = rest.LastIndexOf('-');
        if (dash >= 0)
        {
            release = rest[(dash + 1)..];
            rest = rest[..dash];
        }

        if (rest.Length == 0)
        {
            return false;
        }

        evr = new Evr(epoch, rest, release);
        return true;
    }

    /// <summary>Orders by rpm's rules; see <see cref="RpmVersion.Compare(Evr, Evr)"/>.</summary>
    public int CompareTo(Evr other) => RpmVersion.Compare(this, other);

    public override string ToString()
    {
        string epoch = Epoch is int e ? e.ToString(CultureInfo.InvariantCulture) + ":" : string.Empty;
        return Release is null ? epoch + Version : $"{epoch}{Version}-{Release}";
    }
}
