using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CernVM.Preserve.Curation.Boot;

/// <summary>
/// GRUB 2's grub.cfg (GNU GRUB manual, "Shell-like scripting", "menuentry", "submenu", "default"), read
/// statically, without running its script: <c>menuentry</c>/<c>submenu</c> blocks (titles quoted, ids after
/// <c>$menuentry_id_option</c> or <c>--id</c>), <c>linux</c>/<c>linux16</c>/<c>linuxefi</c> and
/// <c>initrd</c>/<c>initrd16</c>/<c>initrdefi</c> lines, <c>set root=</c>, and the <c>set default=</c>
/// assignments, whose value is a number, a "N>M" path into a submenu, a title or an id, or a variable from
/// grubenv (<c>${saved_entry}</c> as CentOS 7 writes it). When the default depends on what the script
/// decides at boot time, the first entry is taken (GRUB's own fallback) and a warning says so.
/// </summary>
public static partial class Grub2Config
{
    public static BootloaderConfig Parse(string text, IReadOnlyDictionary<string, string>? environment = null)
    {
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        var entries = new List<(BootEntry Entry, string Position, string TitlePath, List<string> Unresolved)>();
        var warnings = new List<string>();
        var defaults = new List<(string Raw, bool Conditional)>();

        // The open blocks: menuentry (collecting), submenu (title, position, child count), or other braces.
        var stack = new Stack<Block>();
        int topCount = 0;
        int ifDepth = 0;
        Block? entry = null;

        foreach (string statement in Statements(text))
        {
            List<string> words = Words(statement);
            if (words.Count == 0)
            {
                continue;
            }

            string command = words[0];
            switch (command)
            {
                case "if":
                    ifDepth++;
                    continue;
                case "fi":
                    ifDepth = Math.Max(0, ifDepth - 1);
                    continue;
                case "}":
                    if (stack.Count > 0)
                    {
                        Block closed = stack.Pop();
                        if (closed.Kind == "menuentry")
                        {
                            entries.Add((closed.ToEntry(variables, out List<string> unresolved), closed.Position, closed.TitlePath, unresolved));
                            entry = null;
                        }
                    }

                    continue;
            }

            if (command == "{" && stack.Count > 0 && stack.Peek().AwaitingBrace)
            {
                stack.Peek().AwaitingBrace = false;
                continue;
            }

            if (command is "menuentry" or "submenu" or "function" || words[^1] == "{")
            {
                Block? parent = stack.Count > 0 ? stack.Peek() : null;
                string kind = command is "menuentry" or "submenu" ? command : "other";
                var block = new Block(kind);
                if (kind != "other")
                {
                    int index = parent?.Kind == "submenu" ? parent.Children++ : topCount++;
                    block.Title = words.Count > 1 ? words[1] : "";
                    block.Position = parent?.Kind == "submenu" ? $"{parent.Position}>{index}" : index.ToString(CultureInfo.InvariantCulture);
                    block.TitlePath = parent?.Kind == "submenu" ? $"{parent.TitlePath}>{block.Title}" : block.Title;
                    int id = words.FindIndex(w => w is "$menuentry_id_option" or "--id");
                    block.GrubId = id > 0 && id + 1 < words.Count ? words[id + 1] : words.FirstOrDefault(w => w.StartsWith("--id=", StringComparison.Ordinal))?["--id=".Length..];
                }

                stack.Push(block);
                if (kind == "menuentry")
                {
                    entry = block;
                }

                if (words[^1] != "{")
                {
                    // "menuentry 'x'" with its brace on the next line: the brace is then its own statement.
                    block.AwaitingBrace = true;
                }

                continue;
            }

            if (entry is not null)
            {
                switch (command)
                {
                    case "linux" or "linux16" or "linuxefi" or "kernel" when words.Count > 1:
                        (entry.Kernel, string? device) = GrubLegacyConfig.SplitDevice(words[1]);
                        entry.Root = device ?? entry.Root;
                        entry.Arguments = words.Skip(2).ToList();
                        break;
                    case "initrd" or "initrd16" or "initrdefi":
                        entry.Initrds = words.Skip(1).Select(w => GrubLegacyConfig.SplitDevice(w).Path).ToList();
                        break;
                    case "set" when words.Count > 1 && words[1].StartsWith("root=", StringComparison.Ordinal):
                        entry.Root = words[1]["root=".Length..];
                        break;
                }

                continue;
            }

            if (command == "set" && words.Count > 1 && words[1].Contains('=', StringComparison.Ordinal))
            {
                string name = words[1][..words[1].IndexOf('=', StringComparison.Ordinal)];
                string value = words[1][(name.Length + 1)..];
                if (name == "default")
                {
                    defaults.Add((value, ifDepth > 0));
                }
                else if (ifDepth == 0 && stack.Count == 0)
                {
                    variables[name] = value;
                }
            }
        }

        List<BootEntry> list = entries.Select(e => e.Entry).ToList();
        int? defaultIndex = null;
        string? setting = defaults.Count == 0 ? null : defaults[^1].Raw;
        if (list.Count > 0)
        {
            defaultIndex = ChooseDefault(entries.Select(e => (e.Entry, e.Position, e.TitlePath)).ToList(), defaults, variables, warnings);
            foreach (string v in entries[defaultIndex.Value].Unresolved)
            {
                warnings.Add($"the default entry's command line uses ${v}, which is set at boot time; it is kept as written");
            }
        }

        return new BootloaderConfig("grub2", list, defaultIndex, setting, warnings);
    }

    private static int ChooseDefault(List<(BootEntry Entry, string Position, string TitlePath)> entries, List<(string Raw, bool Conditional)> defaults, Dictionary<string, string> variables, List<string> warnings)
    {
        var resolved = new List<(string Value, bool Conditional)>();
        foreach ((string raw, bool conditional) in defaults)
        {
            string value = Expand(raw, variables, out List<string> unresolved);
            if (unresolved.Count == 0 && value.Length > 0)
            {
                resolved.Add((value, conditional));
            }
            else if (!unresolved.All(u => u == "next_entry"))
            {
                // next_entry is grub-reboot's one-time choice, normally empty: not worth a warning.
                warnings.Add($"'set default={raw}' depends on ${string.Join(", $", unresolved)}, known only at boot time (grubenv)");
            }
        }

        List<string> distinct = resolved.Select(r => r.Value).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0)
        {
            if (defaults.Count > 0)
            {
                warnings.Add("the default entry cannot be decided statically; GRUB falls back to the first entry, which is taken");
            }

            return 0;
        }

        if (distinct.Count > 1)
        {
            warnings.Add($"the default is set to different values under conditions of the script ({string.Join(", ", distinct)}); the last unconditional one is taken");
        }

        string chosen = resolved.LastOrDefault(r => !r.Conditional).Value ?? resolved[^1].Value;
        int found = entries.FindIndex(e => e.Position == chosen);
        if (found < 0)
        {
            found = entries.FindIndex(e => e.Entry.Id == chosen || e.Entry.Title == chosen || e.TitlePath == chosen);
        }

        if (found < 0 && chosen.Contains('>', StringComparison.Ordinal))
        {
            // A path mixing titles/ids and numbers: match its last part within the submenu of the first.
            string last = chosen[(chosen.LastIndexOf('>') + 1)..];
            found = entries.FindIndex(e => e.Position.Contains('>', StringComparison.Ordinal) && (e.Entry.Title == last || e.Entry.Id == last));
        }

        if (found < 0)
        {
            warnings.Add($"the default '{chosen}' names no entry; GRUB falls back to the first entry, which is taken");
            return 0;
        }

        return found;
    }

    /// <summary>Expands $name and ${name}; names with no value are listed in <paramref name="unresolved"/>.</summary>
    private static string Expand(string value, Dictionary<string, string> variables, out List<string> unresolved)
    {
        var missing = new List<string>();
        string result = VariablePattern().Replace(value, m =>
        {
            string name = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
            if (variables.TryGetValue(name, out string? v) && v.Length > 0)
            {
                return v;
            }

            missing.Add(name);
            return m.Value;
        });
        unresolved = missing;
        return result;
    }

    /// <summary>Statements: lines (continued by a trailing backslash) cut at unquoted ';' and '#' comments.</summary>
    private static IEnumerable<string> Statements(string text)
    {
        var current = new StringBuilder();
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                current.Append(c);
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < text.Length)
                {
                    current.Append(text[++i]);
                }

                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    current.Append(c);
                    break;
                case '\\' when i + 1 < text.Length && text[i + 1] == '\n':
                    i++;
                    break;
                case '\\' when i + 1 < text.Length:
                    current.Append(c).Append(text[++i]);
                    break;
                case '#' when current.ToString().Trim().Length == 0 || char.IsWhiteSpace(current[^1]):
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        i++;
                    }

                    break;
                case '\n' or ';':
                    yield return current.ToString();
                    current.Clear();
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }

        yield return current.ToString();
    }

    /// <summary>Splits a statement into words, removing quotes ('…' literal, "…" keeping $ references).</summary>
    private static List<string> Words(string statement)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < statement.Length; i++)
        {
            char c = statement[i];
            if (c is '\'' or '"')
            {
                int close = statement.IndexOf(c, i + 1);
                if (close < 0)
                {
                    close = statement.Length;
                }

                string inner = statement[(i + 1)..close];
                word.Append(c == '"' ? inner.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal) : inner);
                inWord = true;
                i = close;
            }
            else if (c == '\\' && i + 1 < statement.Length)
            {
                word.Append(statement[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex VariablePattern();

    private sealed class Block(string kind)
    {
        public string Kind { get; } = kind;

        public string Title { get; set; } = "";

        public string Position { get; set; } = "";

        public string TitlePath { get; set; } = "";

        public string? GrubId { get; set; }

        public int Children { get; set; }

        public bool AwaitingBrace { get; set; }

        public string? Kernel { get; set; }

        public string? Root { get; set; }

        public List<string> Arguments { get; set; } = [];

        public List<string> Initrds { get; set; } = [];

        public BootEntry ToEntry(Dictionary<string, string> variables, out List<string> unresolved)
        {
            var missing = new List<string>();
            string? cmdline = Kernel is null ? null : string.Join(' ', Arguments.Select(a =>
            {
                string expanded = Expand(a, variables, out List<string> u);
                missing.AddRange(u);
                return expanded;
            }));
            unresolved = missing;
            return new BootEntry(Title, Kernel, Initrds.LastOrDefault(), cmdline, Root, GrubId ?? Position) { Initrds = Initrds };
        }
    }
}
