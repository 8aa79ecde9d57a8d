using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class ShowCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        Option<bool> json = CommonOptions.Json();
        var cmd = new Command("show", "Show a capsule version's manifest: tree, components, warnings, signature.") { reference, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.Location(parse).OpenAsync(ct);
            LoadedManifest m = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(reference)), ct);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["capsule"] = m.Capsule.Value,
                    ["version"] = m.Version,
                    ["manifestSha256"] = m.Sha256,
                    ["signature"] = m.Signature is null ? null : new JsonObject { ["algorithm"] = m.Signature.Algorithm, ["keyId"] = m.Signature.KeyId, ["valid"] = true },
                    ["retention"] = archive.Store.Capabilities.Retention is { } rp ? new JsonObject { ["mode"] = rp.Mode, ["days"] = rp.Period.TotalDays } : null,
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
            Output.Line($"retention   {(archive.Store.Capabilities.Retention is { } r ? $"{r.Mode}, {r.Period.TotalDays} days" : "none (this store has no object lock)")}");
            Output.Line($"source      {t.Source}");
            Output.Line($"tree        {t.Entries:N0} entries: {t.Files:N0} files, {t.Directories:N0} dirs, {t.Symlinks:N0} symlinks, {t.Hardlinks:N0} hard links, {t.Specials:N0} special");
            Output.Line($"            {Output.Size(t.Bytes)} in {t.Blobs:N0} blobs; catalog {t.Catalog[..16]}… ({Output.Size(t.CatalogBytes)})");
            if (t.Excluded + t.Pseudo + t.Unreadable > 0)
            {
                Output.Line($"not captured {t.Excluded:N0} excluded, {t.Pseudo:N0} pseudo file systems, {t.Unreadable:N0} unreadable");
            }

            if (man.Components is not null)
            {
                Output.Line("components  " + string.Join(", ", man.Components.Select(kv => kv.Key)));
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
