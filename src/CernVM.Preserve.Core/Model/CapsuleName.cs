using System.Text.RegularExpressions;

namespace CernVM.Preserve.Core.Model;

/// <summary>
/// The name of a capsule: 1 to 64 characters from <c>a-z 0-9 . _ -</c>, starting with a letter or digit
/// (FORMAT.md §5). The name is a path segment of every key of the capsule, so it is kept portable.
/// </summary>
public readonly partial struct CapsuleName : IEquatable<CapsuleName>, IComparable<CapsuleName>
{
    private readonly string? _value;

    private CapsuleName(string value) => _value = value;

    /// <summary>What a name may hold, as messages say it (FORMAT.md §5).</summary>
    public const string Rule = "lower case: 1 to 64 characters from a-z, 0-9, '.', '_' and '-', starting with a letter or digit";

    public string Value => _value ?? throw new InvalidOperationException("An uninitialised capsule name.");

    public static CapsuleName Parse(string text) =>
        TryParse(text, out CapsuleName name)
            ? name
            : throw new FormatException($"'{text}' is not a capsule name: a name is {Rule}.");

    public static bool TryParse(string? text, out CapsuleName name)
    {
        name = default;
        if (text is null || !Pattern().IsMatch(text))
        {
            return false;
        }

        name = new CapsuleName(text);
        return true;
    }

    public override string ToString() => Value;

    public bool Equals(CapsuleName other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is CapsuleName other && Equals(other);

    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    public int CompareTo(CapsuleName other) => string.CompareOrdinal(_value, other._value);

    public static bool operator ==(CapsuleName left, CapsuleName right) => left.Equals(right);

    public static bool operator !=(CapsuleName left, CapsuleName right) => !left.Equals(right);

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>
/// A reference to a capsule version as users write it: <c>NAME</c> (the newest complete version) or
/// <c>NAME@vN</c>.
/// </summary>
public readonly record struct CapsuleRef(CapsuleName Name, int? Version)
{
    public static CapsuleRef Parse(string text) =>
        TryParse(text, out CapsuleRef r)
            ? r
            : throw new FormatException($"'{text}' is not a capsule reference: write NAME or NAME@vN (for example aleph-alpha@v2); a NAME is {CapsuleName.Rule}.");

    public static bool TryParse(string? text, out CapsuleRef reference)
    {
        reference = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        int at = text.IndexOf('@');
        string namePart = at < 0 ? text : text[..at];
        if (!CapsuleName.TryParse(namePart, out CapsuleName name))
        {
            return false;
        }

        if (at < 0)
        {
            reference = new CapsuleRef(name, null);
            return true;
        }

        string v = text[(at + 1)..];
        if (v.StartsWith('v'))
        {
            v = v[1..];
        }

        if (!int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1)
        {
            return false;
        }

        reference = new CapsuleRef(name, n);
        return true;
    }

    public override string ToString() => Version is int v ? $"{Name}@v{v}" : Name.ToString();
}
