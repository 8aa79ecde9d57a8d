using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class DiffCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("A") { Description = "The older capsule version, NAME@vN." };
        var b = new Argument<string>("B") { Description = "The newer capsule version, NAME@vN (may be another capsule)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("diff", "Show entries added, removed and changed (content or metadata) between two versions.") { a, b, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.Location(parse).OpenAsync(ct);
            LoadedManifest ma = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(a)), ct);
            LoadedManifest mb = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(b)), ct);
            List<TreeEntry> ea = await CatalogAccess.LoadAsync(archive, ma, ct);
            List<TreeEntry> eb = await CatalogAccess.LoadAsync(archive, mb, ct);
            TreeDiff diff = TreeDiff.Compare(ea, eb);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["from"] = $"{ma.Capsule}@v{ma.Version}",
                    ["to"] = $"{mb.Capsule}@v{mb.Version}",
                    ["added"] = new JsonArray(diff.Added.Select(e => (JsonNode)("/" + e.DisplayPath)).ToArray()),
                    ["removed"] = new JsonArray(diff.Removed.Select(e => (JsonNode)("/" + e.DisplayPath)).ToArray()),
                    ["changed"] = new JsonArray(diff.Changed.Select(c => (JsonNode)new JsonObject
                    {
                        ["path"] = "/" + c.Path,
                        ["fields"] = new JsonArray(c.Fields.Select(f => (JsonNode)f).ToArray()),
                    }).ToArray()),
                });
                return ExitCodes.Ok;
            }

            foreach (TreeEntry e in diff.Removed)
            {
                Output.Line($"-  /{e.DisplayPath}");
            }

            foreach (TreeEntry e in diff.Added)
            {
                Output.Line($"+  /{e.DisplayPath}");
            }

            foreach (TreeDiff.Change c in diff.Changed)
            {
                Output.Line($"{(c.Fields.Contains("content") || c.Fields.Contains("kind") || c.Fields.Contains("target") ? "M " : "m ")} /{c.Path}  ({string.Join(", ", c.Fields)})");
            }

            Output.Line($"{diff.Added.Count} added, {diff.Removed.Count} removed, {diff.Changed.Count} changed");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}

/// <summary>The differences between two trees, by path.</summary>
public sealed class TreeDiff
{
    public List<TreeEntry> Added { get; } = [];

    public List<TreeEntry> Removed { get; } = [];

    public List<Change> Changed { get; } = [];

    public sealed record Change(string Path, List<string> Fields);

    public static TreeDiff Compare(List<TreeEntry> older, List<TreeEntry> newer)
    {
        var d = new TreeDiff();
        var a = older.ToDictionary(e => e.Path, PathBytes.EqualityComparer);
        var b = newer.ToDictionary(e => e.Path, PathBytes.EqualityComparer);
        var idA = older.ToDictionary(e => e.Id);
        var idB = newer.ToDictionary(e => e.Id);
        foreach (TreeEntry e in older.Where(e => !b.ContainsKey(e.Path)))
        {
            d.Removed.Add(e);
        }

        foreach (TreeEntry e in newer)
        {
            if (!a.TryGetValue(e.Path, out TreeEntry? o))
            {
                d.Added.Add(e);
                continue;
            }

            var f = new List<string>();
            if (o.Kind != e.Kind) f.Add("kind");
            if (o.State != e.State) f.Add("state");
            if (o.Content != e.Content) f.Add("content");
            if (o.Size != e.Size) f.Add("size");
            if (!(o.LinkTarget ?? []).AsSpan().SequenceEqual(e.LinkTarget ?? [])) f.Add("target");
            if (o.Mode != e.Mode) f.Add($"mode {Convert.ToString(o.Mode, 8)}→{Convert.ToString(e.Mode, 8)}");
            if (o.Uid != e.Uid || o.Gid != e.Gid) f.Add($"owner {o.Uid}:{o.Gid}→{e.Uid}:{e.Gid}");
            if (o.MtimeSeconds != e.MtimeSeconds || o.MtimeNanoseconds != e.MtimeNanoseconds) f.Add("mtime");
            if (o.DeviceMajor != e.DeviceMajor || o.DeviceMinor != e.DeviceMinor) f.Add("device");
            if (!XAttrsEqual(o.XAttrs, e.XAttrs)) f.Add("xattrs");
            byte[]? ho = o.HardlinkTo is long x ? idA[x].Path : null;
            byte[]? hn = e.HardlinkTo is long y ? idB[y].Path : null;
            if (!(ho ?? []).AsSpan().SequenceEqual(hn ?? []) || (ho is null) != (hn is null)) f.Add("hardlink");
            if (f.Count > 0)
            {
                d.Changed.Add(new Change(e.DisplayPath, f));
            }
        }

        return d;
    }

    private static bool XAttrsEqual(IReadOnlyList<XAttr> a, IReadOnlyList<XAttr> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Name.AsSpan().SequenceEqual(p.Second.Name) && p.First.Value.AsSpan().SequenceEqual(p.Second.Value));
}
