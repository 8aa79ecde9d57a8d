using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Engine.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class DiffCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("A") { Description = "The older capsule version, NAME@vN." };
        var b = new Argument<string>("B") { Description = "The newer capsule version, NAME@vN (may be another capsule)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("diff", "Show entries added, removed and changed (content or metadata) between two versions. Exits 0 when they are the same, 1 when they differ, 2 or more on trouble, as diff(1).") { a, b, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            LoadedManifest ma = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(a)), ct);
            LoadedManifest mb = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(b)), ct);
            LoadedTree ta = await TreeLoader.LoadAsync(archive, ma, ct);
            LoadedTree tb = await TreeLoader.LoadAsync(archive, mb, ct);
            TreeDiff diff = TreeDiff.Compare(ta, tb);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["from"] = ta.Name,
                    ["to"] = tb.Name,
                    ["added"] = new JsonArray(diff.Added.Select(e => (JsonNode)("/" + e.DisplayPath)).ToArray()),
                    ["removed"] = new JsonArray(diff.Removed.Select(e => (JsonNode)("/" + e.DisplayPath)).ToArray()),
                    ["changed"] = new JsonArray(diff.Changed.Select(c => (JsonNode)new JsonObject
                    {
                        ["path"] = "/" + c.Path,
                        ["fields"] = new JsonArray(c.Fields.Select(f => (JsonNode)f).ToArray()),
                    }).ToArray()),
                });
            }
            else
            {
                Print(diff);
            }

            return diff.Same ? ExitCodes.Ok : ExitCodes.Different;
        });
        return cmd;
    }

    private static void Print(TreeDiff diff)
    {
        foreach (TreeEntry e in diff.Removed)
        {
            Output.Line($"-  /{e.DisplayPath}");
        }

        foreach (TreeEntry e in diff.Added)
        {
            Output.Line($"+  /{e.DisplayPath}");
        }

        foreach (TreeChange c in diff.Changed)
        {
            Output.Line($"{(c.IsContentChange ? "M " : "m ")} /{c.Path}  ({string.Join(", ", c.Fields)})");
        }

        Output.Line($"{diff.Added.Count} added, {diff.Removed.Count} removed, {diff.Changed.Count} changed");
    }
}
