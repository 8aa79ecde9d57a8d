using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CernVM.Preserve.Curation.Packages;

/// <summary>
/// Reads dpkg's status file (<c>var/lib/dpkg/status</c>): stanzas of deb-control(5) fields separated by
/// blank lines, one stanza per package dpkg knows about.
/// </summary>
public static partial class DpkgStatusReader
{
    /// <summary>Reads the packages whose files are on disk from a status file.</summary>
    /// <exception cref="PackageDatabaseException">The file is missing, or a stanza lacks Package, Status or Version or has a malformed line.</exception>
    public static PackageDatabase Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new PackageDatabaseException($"The dpkg status file {path} does not exist.") { DatabasePath = path };
        }

        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
            return Read(reader, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PackageDatabaseException.Unreadable(path, e);
        }
    }

    /// <summary>Reads a status file from <paramref name="reader"/>; <paramref name="path"/> is only used in messages.</summary>
    /// <remarks>
    /// A package counts as installed when the third word of its Status field, the current state, is
    /// <c>installed</c> (dpkg-query's status abbreviation <c>?i</c>). The wanted state is ignored: a package on
    /// hold (<c>hold ok installed</c>) or selected for removal (<c>deinstall ok installed</c>) still has
    /// its files on disk. Half-installed, unpacked, config-files and not-installed packages are left out.
    /// </remarks>
    public static PackageDatabase Read(TextReader reader, string path)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(path);

        var packages = new List<InstalledPackage>();
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? current = null;
        int lineNumber = 0;
        int stanzaStart = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                AddStanza(fields, path, stanzaStart, packages);
                fields.Clear();
                current = null;
                stanzaStart = lineNumber + 1;
                continue;
            }

            // deb-control(5): a line starting with a space or tab continues the previous field.
            if (line[0] is ' ' or '\t')
            {
                if (current is null)
                {
                    throw PackageDatabaseException.Corrupt(path, $"line {lineNumber}", "a continuation line does not follow a field");
                }

                fields[current] = fields[current] + "\n" + line[1..];
                continue;
            }

            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw PackageDatabaseException.Corrupt(path, $"line {lineNumber}", $"'{line}' is neither 'Field: value' nor a continuation line");
            }

            current = line[..colon];
            fields[current] = line[(colon + 1)..].Trim();
        }

        AddStanza(fields, path, stanzaStart, packages);
        return PackageDatabase.Create(PackageDatabaseFormat.Dpkg, path, packages);
    }

    /// <summary>Parses a Depends-style relationship field: <c>a (&gt;= 1.0), b | c, d:any</c>.</summary>
    /// <exception cref="FormatException">A relation is not <c>name [(op version)]</c>.</exception>
    public static IReadOnlyList<PackageRequirement> ParseRelationships(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var result = new List<PackageRequirement>();
        foreach (string group in field.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            PackageRequirement[] alternatives = [.. group.Split('|', StringSplitOptions.TrimEntries).Select(ParseRelation)];
            result.Add(alternatives[0] with { Alternatives = alternatives[1..] });
        }

        return result;
    }

    private static PackageRequirement ParseRelation(string text)
    {
        Match m = RelationPattern().Match(text);
        if (!m.Success)
        {
            throw new FormatException($"'{text}' is not a package relation 'name[:arch] [(op version)]'.");
        }

        // deb-control(5): '<' and '>' are obsolete spellings of '<=' and '>='.
        RequirementComparison comparison = m.Groups["op"].Value switch
        {
            "<<" => RequirementComparison.Less,
            "<=" or "<" => RequirementComparison.LessOrEqual,
            "=" => RequirementComparison.Equal,
            ">=" or ">" => RequirementComparison.GreaterOrEqual,
            ">>" => RequirementComparison.Greater,
            _ => RequirementComparison.None,
        };
        return new PackageRequirement(m.Groups["name"].Value, comparison, m.Groups["version"].Value);
    }

    private static void AddStanza(Dictionary<string, string> fields, string path, int line, List<InstalledPackage> packages)
    {
        if (fields.Count == 0)
        {
            return;
        }

        string record = fields.TryGetValue("Package", out string? name) ? $"package {name} (line {line})" : $"stanza at line {line}";
        if (name is null || !fields.TryGetValue("Status", out string? status))
        {
            throw PackageDatabaseException.Corrupt(path, record, "the stanza has no Package or no Status field");
        }

        // Status: want flag current (dpkg-query(1)); only the current state says whether files are on disk.
        string[] words = status.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 3)
        {
            throw PackageDatabaseException.Corrupt(path, record, $"Status '{status}' is not 'want flag state'");
        }

        if (words[2] != "installed")
        {
            return;
        }

        if (!fields.TryGetValue("Version", out string? versionText) || versionText.Length == 0)
        {
            throw PackageDatabaseException.Corrupt(path, record, "an installed package has no Version");
        }

        DebianVersion version = DebianVersion.Split(versionText);
        int colon = versionText.IndexOf(':');
        bool hasEpoch = colon > 0 && !versionText.AsSpan(0, colon).ContainsAnyExceptInRange('0', '9');

        long? size = null;
        if (fields.TryGetValue("Installed-Size", out string? sizeText))
        {
            // deb-control(5): Installed-Size is in KiB.
            size = long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out long kib)
                ? kib * 1024
                : throw PackageDatabaseException.Corrupt(path, record, $"Installed-Size '{sizeText}' is not a number");
        }

        var requires = new List<PackageRequirement>();
        try
        {
            foreach (string field in (string[])["Pre-Depends", "Depends"])
            {
                if (fields.TryGetValue(field, out string? value))
                {
                    requires.AddRange(ParseRelationships(value.Replace('\n', ' ')));
                }
            }
        }
        catch (FormatException e)
        {
            throw PackageDatabaseException.Corrupt(path, record, e.Message, e);
        }

        packages.Add(new InstalledPackage
        {
            Name = name,
            Epoch = hasEpoch ? version.Epoch : null,
            Version = version.Upstream,
            Release = version.Revision,
            Architecture = fields.GetValueOrDefault("Architecture"),
            Size = size,
            Summary = fields.TryGetValue("Description", out string? description) ? description.Split('\n')[0] : null,
            Requires = requires,
            SourceFormat = PackageDatabaseFormat.Dpkg,
        });
    }

    // name[:archqualifier] [(op version)] [[arch list]] [<profiles>]; the last two only appear in source
    // packages but are tolerated.
    [GeneratedRegex(@"^(?<name>[^\s:(\[<]+)(?::\S+?)?\s*(?:\(\s*(?<op><<|<=|>=|>>|=|<|>)\s*(?<version>[^\s)]+)\s*\))?\s*(?:\[[^\]]*\]\s*)?(?:<[^>]*>\s*)*$")]
    private static partial Regex RelationPattern();
}
