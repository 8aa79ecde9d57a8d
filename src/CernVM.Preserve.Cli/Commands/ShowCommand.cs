using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class ShowCommand
{
    private static string? S(JsonNode? n) => n is null ? null : n.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)n : n.ToJsonString();

    /// <summary>The environment's components in a few lines each (FORMAT.md §5.3); --json has everything.</summary>
    internal static void ShowComponents(JsonObject c, string indent = "")
    {
        if (c["curation"] is JsonObject cur)
        {
            Output.Line(indent + $"experiment  {S(cur["experiment"]) ?? "-"}; licence {S(cur["licence"]) ?? "-"}; DPHEP level {S(cur["dphepLevel"]) ?? "-"}");
        }

        if (c["os"] is JsonObject os)
        {
            Output.Line(indent + $"os          {S(os["release"]) ?? S(os["osRelease"]?["prettyName"]) ?? "unknown release"} ({S(os["architecture"]) ?? "unknown architecture"})");
            if (os["packages"] is JsonObject p)
            {
                Output.Line(indent + $"packages    {S(p["count"])} in {S(p["database"])} ({S(p["format"])})");
            }

            if (os["pin"] is JsonObject pin)
            {
                Output.Line(indent + $"pin         {S(pin["metapackage"])} {S(pin["version"])}: {S(pin["satisfied"])} satisfied, {pin["deviations"]?.AsArray().Count ?? 0} deviations, {pin["missing"]?.AsArray().Count ?? 0} missing");
            }
        }

        if (c["os"]?["image"] is JsonNode image)
        {
            Output.Line($"image       {S(image["format"])} {S(image["reference"]) ?? "(untagged)"}: {S(image["os"])}/{S(image["architecture"])}, {image["layers"]?.AsArray().Count ?? 0} layers, config {S(image["configDigest"])}");
        }

        foreach (JsonNode? s in c["software"]?.AsArray() ?? [])
        {
            Output.Line(indent + $"software    {S(s?["name"])} {S(s?["version"])} at {S(s?["mountPoint"])}");
        }

        foreach (JsonNode? v in c["cvmfs"]?.AsArray() ?? [])
        {
            Output.Line(indent + $"cvmfs       {S(v?["fqrn"])} revision {S(v?["revision"])} at {S(v?["mountPoint"])}, root {S(v?["rootHash"])}, published {S(v?["published"]) ?? "-"}");
        }

        if (c["boot"] is JsonObject boot)
        {
            JsonNode? k = boot["kernel"];
            string kernel = k is null ? "-" : $"{S(k["path"])} ({S(k["format"]) ?? "?"}, {S(k["release"]) ?? S(k["version"]) ?? "version unknown"}, {S(k["architecture"]) ?? "architecture unknown"})";
            Output.Line(indent + $"boot        kernel {kernel}");
            if (boot["initrd"] is JsonNode i)
            {
                string segments = string.Join(" + ", (i["segments"]?.AsArray() ?? []).Select(g => S(g?["compression"]) is string z ? $"{z} {S(g?["format"])}" : S(g?["format"])));
                Output.Line(indent + $"            initrd {S(i["path"])} ({segments})");
            }

            if (boot["bootloaderConfig"] is JsonNode b)
            {
                Output.Line(indent + $"            {S(b["format"])} {S(b["path"])}: default entry '{S(b["default"]?["title"]) ?? "-"}' of {S(b["entries"])}");
            }

            Output.Line(indent + $"            cmdline {S(boot["cmdline"]) ?? "-"}");
            if (boot["microCernvm"] is JsonObject micro)
            {
                Output.Line(indent + $"            micro-CernVM {string.Join(' ', micro.Select(p => p.Value is JsonValue v && v.TryGetValue(out bool _) ? p.Key : $"{p.Key}={S(p.Value)}"))}");
            }
        }

        foreach (JsonNode? r in c["run"]?.AsArray() ?? [])
        {
            Output.Line(indent + $"run         {S(r?["name"])}: {S(r?["interpreter"])} {S(r?["script"])}, {r?["outputs"]?.AsArray().Count ?? 0} outputs compared with references");
        }
    }

    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("show", "Show a capsule version's manifest: tree, components, warnings, signature.") { reference, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            LoadedManifest m = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(reference)), ct);

            // The manifest object's retention as the server holds it, not as the archive claims it.
            ObjectRetention? held = archive.Store is IObjectRetentionReader reader
                ? await reader.GetRetentionAsync(ArchiveLayout.Manifest(m.Capsule, m.Version), ct)
                : null;
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["capsule"] = m.Capsule.Value,
                    ["version"] = m.Version,
                    ["manifestSha256"] = m.Sha256,
                    ["signature"] = m.Signature is null ? null : new JsonObject { ["algorithm"] = m.Signature.Algorithm, ["keyId"] = m.Signature.KeyId, ["valid"] = true },
                    ["retention"] = held is null ? null : new JsonObject
                    {
                        ["mode"] = held.Mode,
                        ["retainUntil"] = held.RetainUntil.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                        ["storeDefaultDays"] = archive.Store.Capabilities.Retention?.Period.TotalDays,
                    },
                    ["manifest"] = JsonNode.Parse(m.Bytes),
                });
                return ExitCodes.Ok;
            }

            Manifest man = m.Manifest;
            TreeSummary t = man.Tree;
            Output.Line($"capsule     {m.Capsule}@v{m.Version}");
            if (man.Title is not null)
            {
                Output.Line($"title       {man.Title}");
            }

            if (man.Description is not null)
            {
                Output.Line($"description {man.Description}");
            }

            Output.Line($"created     {man.Created} by {man.Producer.User}@{man.Producer.Host} ({man.Producer.Software} {man.Producer.SoftwareVersion})");
            Output.Line($"manifest    sha256 {m.Sha256}");
            Output.Line($"previous    {(man.Previous is null ? "none" : $"v{man.Previous.Version} (manifest sha256 {man.Previous.ManifestSha256[..16]}…)")}");
            Output.Line($"signature   {(m.Signature is null ? "none" : $"Ed25519, key {m.Signature.KeyId[..16]}…, valid")}");
            Output.Line($"retention   {(held is { } r ? $"Object Lock {r.Mode} until {r.RetainUntil.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC (read from the server for manifest.json)" : archive.Store.Capabilities.Retention is null ? "none (this store has no Object Lock)" : "none on manifest.json, although the store has Object Lock")}");
            Output.Line($"source      {t.Source}");
            Output.Line($"tree        {t.Entries:N0} entries: {t.Files:N0} files, {t.Directories:N0} dirs, {t.Symlinks:N0} symlinks, {t.Hardlinks:N0} hard links, {t.Specials:N0} special");
            Output.Line($"            {Output.Size(t.Bytes)} in {t.Blobs:N0} blobs; catalog {t.Catalog[..16]}… ({Output.Size(t.CatalogBytes)})");
            if (t.Excluded + t.Pseudo + t.Unreadable > 0)
            {
                Output.Line($"not captured {t.Excluded:N0} excluded, {t.Pseudo:N0} pseudo file systems, {t.Unreadable:N0} unreadable");
            }

            if (man.Components is System.Text.Json.Nodes.JsonObject c)
            {
                ShowComponents(c);
            }

            Output.Line($"warnings    {man.Warnings.Count}");
            foreach (CaptureWarning w in man.Warnings)
            {
                Output.Line($"  {w.Code} {w.Path}: {w.Message}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
