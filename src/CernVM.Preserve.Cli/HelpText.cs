using System.CommandLine;
using System.Text.RegularExpressions;

namespace CernVM.Preserve.Cli;

/// <summary>
/// Marks optional arguments in help texts as optional. System.CommandLine 2.0.0 brackets them only in the usage
/// line (<c>list [&lt;NAME&gt;]</c>); its list of commands and its list of arguments print every argument as
/// <c>&lt;NAME&gt;</c>, as if it were required, and its help builder cannot be customised (internal). So the help
/// text is mended after it is written: <c>&lt;NAME&gt;</c> becomes <c>[NAME]</c>, the same width, so the columns stay aligned.
/// </summary>
public static partial class HelpText
{
    public static string MarkOptionalArguments(string help, Command shown)
    {
        string[] lines = help.Split('\n');
        string section = "";
        for (int i = 0; i < lines.Length; i++)
        {
            string text = lines[i];
            if (text.Length > 0 && !char.IsWhiteSpace(text[0]))
            {
                section = text.TrimEnd('\r');
            }
            else if (section == "Commands:" && Row().Match(text) is { Success: true } row &&
                     shown.Subcommands.FirstOrDefault(c => c.Name == row.Groups["name"].Value) is Command sub)
            {
                lines[i] = row.Groups["indent"].Value + row.Groups["name"].Value + Bracket(row.Groups["rest"].Value, sub.Arguments);
            }
            else if (section == "Arguments:")
            {
                lines[i] = Bracket(text, shown.Arguments);
            }
        }

        return string.Join('\n', lines);
    }

    // In a row, only the label (up to the two spaces before the description) is mended.
    private static string Bracket(string row, IEnumerable<Argument> arguments)
    {
        int gap = row.IndexOf("  ", row.Length - row.TrimStart().Length, StringComparison.Ordinal);
        string label = gap < 0 ? row : row[..gap];
        foreach (Argument a in arguments.Where(a => a.Arity.MinimumNumberOfValues == 0 && !a.Hidden))
        {
            string name = a.HelpName ?? a.Name;
            label = label.Replace($"<{name}>", $"[{name}]", StringComparison.Ordinal);
        }

        return gap < 0 ? label : label + row[gap..];
    }

    [GeneratedRegex(@"^(?<indent>  )(?<name>\S+)(?<rest>.*)$")]
    private static partial Regex Row();
}
