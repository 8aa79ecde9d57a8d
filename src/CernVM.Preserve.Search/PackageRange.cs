using CernVM.Preserve.Curation.Packages;

namespace CernVM.Preserve.Search;

/// <summary>One bound of a range: <c>&lt;0.9.8e</c>, <c>&gt;=1:2.3-4</c>.</summary>
public sealed record VersionBound(RequirementComparison Comparison, string Version)
{
    public string Operator => Comparison switch
    {
        RequirementComparison.Less => "<",
        RequirementComparison.LessOrEqual => "<=",
        RequirementComparison.Equal => "=",
        RequirementComparison.GreaterOrEqual => ">=",
        _ => ">",
    };

    public override string ToString() => Operator + Version;
}

/// <summary>
/// A package and the versions wanted of it: <c>openssl</c>, <c>openssl&lt;0.9.8e</c>, <c>glibc&gt;=2.3,&lt;2.4</c>
/// (every bound holds). Versions are <c>[epoch:]version[-release]</c> and are compared by the rules of the
/// capsule's own package database: rpm's (rpmvercmp, epochs first, a release compared only when both sides
/// have one) for rpm databases, dpkg's (verrevcmp) for dpkg ones; never as strings. The comparators are
/// Curation's, the same that judge a metapackage pin.
/// </summary>
public sealed record PackageRange(string Name, IReadOnlyList<VersionBound> Bounds)
{
    public override string ToString() => Name + string.Join(',', Bounds);

    /// <summary>Parses <c>NAME[OP VERSION[,OP VERSION]…]</c> with OP one of <c>&lt; &lt;= = == &gt;= &gt;</c>.</summary>
    /// <exception cref="QuerySyntaxException">Names the column of the first error.</exception>
    public static PackageRange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string What = "--package";
        int i = 0;
        while (i < text.Length && text[i] is not ('<' or '>' or '=' or ',' or '!'))
        {
            if (char.IsWhiteSpace(text[i]))
            {
                throw new QuerySyntaxException(What, text, i + 1, "a package name has no spaces (write 'openssl<0.9.8e')");
            }

            i++;
        }

        string name = text[..i];
        if (name.Length == 0)
        {
            throw new QuerySyntaxException(What, text, 1, "a package name is expected first (e.g. 'openssl<0.9.8e')");
        }

        var bounds = new List<VersionBound>();
        while (i < text.Length)
        {
            if (bounds.Count > 0)
            {
                if (text[i] != ',')
                {
                    throw new QuerySyntaxException(What, text, i + 1, $"',' is expected between two bounds, not '{text[i]}'");
                }

                i++;
            }

            int opStart = i;
            while (i < text.Length && text[i] is '<' or '>' or '=' or '!')
            {
                i++;
            }

            string op = text[opStart..i];
            RequirementComparison comparison = op switch
            {
                "<" => RequirementComparison.Less,
                "<=" or "=<" => RequirementComparison.LessOrEqual,
                "=" or "==" => RequirementComparison.Equal,
                ">=" or "=>" => RequirementComparison.GreaterOrEqual,
                ">" => RequirementComparison.Greater,
                "" => throw new QuerySyntaxException(What, text, opStart + 1, "a comparison is expected (<, <=, =, >=, >)"),
                _ => throw new QuerySyntaxException(What, text, opStart + 1, $"'{op}' is not a comparison (<, <=, =, >=, >)"),
            };
            int versionStart = i;
            while (i < text.Length && text[i] != ',')
            {
                if (!(char.IsAsciiLetterOrDigit(text[i]) || text[i] is '.' or '+' or '~' or '^' or ':' or '_' or '-'))
                {
                    throw new QuerySyntaxException(What, text, i + 1, $"'{text[i]}' cannot be part of a version");
                }

                i++;
            }

            string version = text[versionStart..i];
            if (version.Length == 0)
            {
                throw new QuerySyntaxException(What, text, versionStart + 1, $"a version is expected after '{op}'");
            }

            int colon = version.IndexOf(':', StringComparison.Ordinal);
            bool badEpoch = colon >= 0 && (colon == 0 || version.AsSpan(0, colon).ContainsAnyExceptInRange('0', '9') || version.IndexOf(':', colon + 1) >= 0);
            if (badEpoch || !Evr.TryParse(version, out Evr evr) || (evr.Release is not null && evr.Release.Length == 0))
            {
                throw new QuerySyntaxException(What, text, versionStart + 1, $"'{version}' is not a version ([epoch:]version[-release], the epoch a number)");
            }

            bounds.Add(new VersionBound(comparison, version));
        }

        return new PackageRange(name, bounds);
    }

    /// <summary>Whether an installed package's version satisfies every bound, under the database's rules.</summary>
    public bool Matches(PackageRow package)
    {
        ArgumentNullException.ThrowIfNull(package);
        bool dpkg = package.Format == "dpkg";
        foreach (VersionBound b in Bounds)
        {
            int c = dpkg
                ? DebianVersion.Compare(package.Evr, b.Version)
                : RpmVersion.Compare(new Evr(package.Epoch, package.PackageVersion, package.Release.Length == 0 ? null : package.Release), Evr.Parse(b.Version));
            bool ok = b.Comparison switch
            {
                RequirementComparison.Less => c < 0,
                RequirementComparison.LessOrEqual => c <= 0,
                RequirementComparison.Equal => c == 0,
                RequirementComparison.GreaterOrEqual => c >= 0,
                _ => c > 0,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Which rules a package of this database format is compared by, for people.</summary>
    public static string RulesOf(string? format) => format == "dpkg" ? "dpkg" : "rpm";
}
