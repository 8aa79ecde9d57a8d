using System.Text;
using System.Text.RegularExpressions;

namespace CernVM.Preserve.Curation.Spec;

/// <summary>
/// Which distribution, release and architecture a root file system holds, read from the files each era left:
/// <c>/etc/os-release</c> (2012 on), the Red Hat family's <c>/etc/redhat-release</c>, <c>sl-release</c>,
/// <c>centos-release</c>, <c>fedora-release</c> ("NAME release VERSION (CODENAME)" since Red Hat Linux),
/// <c>/etc/lsb-release</c>, <c>/etc/debian_version</c>, and the ELF header of <c>/bin/sh</c>.
/// </summary>
public sealed partial record OsIdentity
{
    /// <summary>The distribution's name, e.g. "Scientific Linux", "Debian GNU/Linux".</summary>
    public string? Distribution { get; init; }

    /// <summary>Its version as the distribution writes it, e.g. "4.7", "12.5", "7.9.2009".</summary>
    public string? Version { get; init; }

    /// <summary>The release's code name, e.g. "Beryllium", "bookworm".</summary>
    public string? Codename { get; init; }

    /// <summary>The release line as the tree states it (the release file's first line, or PRETTY_NAME).</summary>
    public string? Release { get; init; }

    /// <summary>The tree file <see cref="Release"/> was read from, e.g. "/etc/redhat-release".</summary>
    public string? ReleaseFile { get; init; }

    /// <summary>The fields of /etc/os-release, when present.</summary>
    public IReadOnlyDictionary<string, string>? OsRelease { get; init; }

    /// <summary>Machine architecture of /bin/sh (or busybox): i386, x86_64, aarch64, …</summary>
    public string? Architecture { get; init; }

    /// <summary>Every tree file the identity was read from.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    private static readonly string[] RedHatFamily = ["etc/redhat-release", "etc/sl-release", "etc/centos-release", "etc/fedora-release", "etc/system-release"];

    /// <summary>Reads the identity of the tree at <paramref name="rootfs"/>; symlinks are followed inside the tree only.</summary>
    public static OsIdentity Detect(string rootfs)
    {
        var sources = new List<string>();
        string? Read(string relative)
        {
            string? text = ReadTreeFile(rootfs, relative);
            if (text is not null)
            {
                sources.Add("/" + relative);
            }

            return text;
        }

        Dictionary<string, string>? osRelease = Read("etc/os-release") is string o ? ParseShellAssignments(o) : null;
        string? redHatFile = null, redHatLine = null;
        foreach (string f in RedHatFamily)
        {
            if (Read(f) is string text)
            {
                redHatFile = "/" + f;
                redHatLine = FirstLine(text);
                break;
            }
        }

        Dictionary<string, string>? lsb = Read("etc/lsb-release") is string l ? ParseShellAssignments(l) : null;
        string? debianVersion = Read("etc/debian_version") is string d ? FirstLine(d) : null;

        string? distribution = null, version = null, codename = null, release = null, releaseFile = null;
        if (redHatLine is not null)
        {
            (distribution, version, codename) = ParseRedHatRelease(redHatLine);
            (release, releaseFile) = (redHatLine, redHatFile);
        }

        if (osRelease is not null)
        {
            distribution ??= osRelease.GetValueOrDefault("NAME");
            version ??= osRelease.GetValueOrDefault("VERSION_ID");
            codename ??= osRelease.GetValueOrDefault("VERSION_CODENAME");
            if (release is null && osRelease.GetValueOrDefault("PRETTY_NAME") is string pretty)
            {
                (release, releaseFile) = (pretty, "/etc/os-release");
            }
        }

        if (lsb is not null)
        {
            distribution ??= lsb.GetValueOrDefault("DISTRIB_ID");
            version ??= lsb.GetValueOrDefault("DISTRIB_RELEASE");
            codename ??= lsb.GetValueOrDefault("DISTRIB_CODENAME");
            if (release is null && lsb.GetValueOrDefault("DISTRIB_DESCRIPTION") is string description)
            {
                (release, releaseFile) = (description, "/etc/lsb-release");
            }
        }

        if (debianVersion is not null)
        {
            distribution ??= "Debian GNU/Linux";

            // debian_version is the precise point release (12.5) where os-release only has the major one.
            if (distribution.StartsWith("Debian", StringComparison.Ordinal) && debianVersion.Length > 0 && char.IsAsciiDigit(debianVersion[0]))
            {
                version = debianVersion;
            }

            version ??= debianVersion;
            if (release is null)
            {
                (release, releaseFile) = ($"Debian GNU/Linux {debianVersion}", "/etc/debian_version");
            }
        }

        return new OsIdentity
        {
            Distribution = distribution,
            Version = version,
            Codename = codename,
            Release = release,
            ReleaseFile = releaseFile,
            OsRelease = osRelease,
            Architecture = ElfArchitecture(rootfs, "bin/sh") ?? ElfArchitecture(rootfs, "bin/busybox") ?? ElfArchitecture(rootfs, "sbin/init"),
            Sources = sources,
        };
    }

    /// <summary>
    /// "Scientific Linux SL release 4.7 (Beryllium)" → (Scientific Linux, 4.7, Beryllium); also SLC's
    /// "Scientific Linux CERN SLC release 5.3 (Boron)", "CentOS Linux release 7.9.2009 (Core)",
    /// "Red Hat Enterprise Linux WS release 4 (Nahant Update 7)", "Fedora release 8 (Werewolf)".
    /// </summary>
    public static (string? Distribution, string? Version, string? Codename) ParseRedHatRelease(string line)
    {
        Match m = RedHatReleasePattern().Match(line.Trim());
        if (!m.Success)
        {
            return (line.Trim().Length > 0 ? line.Trim() : null, null, null);
        }

        string name = m.Groups["name"].Value.Trim();
        string distribution = name switch
        {
            _ when name.StartsWith("Scientific Linux CERN", StringComparison.Ordinal) => "Scientific Linux CERN",
            _ when name.StartsWith("Scientific Linux", StringComparison.Ordinal) => "Scientific Linux",
            _ when name.StartsWith("Red Hat Enterprise Linux", StringComparison.Ordinal) => "Red Hat Enterprise Linux",
            _ when name.StartsWith("CentOS", StringComparison.Ordinal) => "CentOS",
            _ => name,
        };
        return (distribution, m.Groups["version"].Value, m.Groups["code"].Success ? m.Groups["code"].Value.Trim() : null);
    }

    /// <summary>Parses KEY=value lines as os-release(5) and lsb-release write them: quotes removed, backslash escapes resolved, comments skipped.</summary>
    public static Dictionary<string, string> ParseShellAssignments(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || eq <= 0)
            {
                continue;
            }

            string value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                char quote = value[0];
                value = value[1..^1];
                if (quote == '"')
                {
                    var b = new StringBuilder(value.Length);
                    for (int i = 0; i < value.Length; i++)
                    {
                        b.Append(value[i] == '\\' && i + 1 < value.Length ? value[++i] : value[i]);
                    }

                    value = b.ToString();
                }
            }

            fields[line[..eq].Trim()] = value;
        }

        return fields;
    }

    /// <summary>The machine of an ELF file of the tree (following symlinks inside the tree), or null when it is not ELF.</summary>
    public static string? ElfArchitecture(string rootfs, string relative)
    {
        string? path = TreeFiles.Resolve(rootfs, relative);
        if (path is null || !File.Exists(path))
        {
            return null;
        }

        Span<byte> h = stackalloc byte[20];
        using FileStream f = File.OpenRead(path);
        return f.Read(h) == 20 && Boot.Elf.TryReadMachine(h, out ushort machine) ? Boot.Elf.MachineName(machine) : null;
    }

    private static string? ReadTreeFile(string rootfs, string relative)
    {
        string? path = TreeFiles.Resolve(rootfs, relative);
        return path is not null && File.Exists(path) ? File.ReadAllText(path) : null;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    [GeneratedRegex(@"^(?<name>.+?)\s+release\s+(?<version>[0-9][0-9A-Za-z.\-]*)\s*(\((?<code>[^)]*)\))?")]
    private static partial Regex RedHatReleasePattern();
}
