using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Cli.Commands;

public static class ShowCommand
{
    /// <summary>The environment's components in a few lines each (FORMAT.md §5.3); --json has everything.</summary>
    internal static void ShowComponents(EnvironmentComponents c, string indent = "")
    {
        if (c.Curation is { } cur)
        {
            Output.Line(indent + $"experiment  {cur.Experiment ?? "-"}; licence {cur.Licence ?? "-"}; DPHEP level {cur.DphepLevel?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        }

        if (c.Os is { } os)
        {
            Output.Line(indent + $"os          {os.Release ?? os.OsRelease?.PrettyName ?? "unknown release"} ({os.Architecture ?? "unknown architecture"})");
            if (os.Packages is { } p)
            {
                Output.Line(indent + $"packages    {p.Count} in {p.Database} ({p.Format})");
            }

            if (os.Pin is { } pin)
            {
                Output.Line(indent + $"pin         {pin.Metapackage} {pin.Version}: {pin.Satisfied} satisfied, {pin.Deviations.Count} deviations, {pin.Missing.Count} missing");
            }

            if (os.Image is { } image)
            {
                Output.Line($"image       {image.Format} {image.Reference ?? "(untagged)"}: {image.Os}/{image.Architecture}, {image.Layers.Count} layers, config {image.ConfigDigest}");
            }
        }

        foreach (SoftwareComponent s in c.Software ?? [])
        {
            Output.Line(indent + $"software    {s.Name} {s.Version} at {s.MountPoint}");
        }

        foreach (CvmfsComponent v in c.Cvmfs ?? [])
        {
            Output.Line(indent + $"cvmfs       {v.Fqrn} revision {v.Revision} at {v.MountPoint}, root {v.RootHash}, published {v.Published ?? "-"}");
        }

        if (c.Boot is { } boot)
        {
            KernelComponent? k = boot.Kernel;
            string kernel = k is null ? "-" : $"{k.Path} ({k.Format ?? "?"}, {k.Release ?? k.Version ?? "version unknown"}, {k.Architecture ?? "architecture unknown"})";
            Output.Line(indent + $"boot        kernel {kernel}");
            if (boot.Initrd is { } i)
            {
                string segments = string.Join(" + ", i.Segments.Select(g => g.Compression is string z ? $"{z} {g.Format}" : g.Format));
                Output.Line(indent + $"            initrd {i.Path} ({segments})");
            }

            if (boot.BootloaderConfig is { } b)
            {
                Output.Line(indent + $"            {b.Format} {b.Path}: default entry '{b.Default?.Title ?? "-"}' of {b.Entries}");
            }

            Output.Line(indent + $"            cmdline {boot.Cmdline ?? "-"}");
            if (boot.MicroCernvm is { } micro)
            {
                Output.Line(indent + $"            micro-CernVM {string.Join(' ', micro.Select(a => a.Value is null ? a.Key : $"{a.Key}={a.Value}"))}");
            }
        }

        foreach (RunComponent r in c.Run ?? [])
        {
            Output.Line(indent + $"run         {r.Name}: {r.Interpreter} {r.Script}, {r.Outputs.Count} outputs compared with references");
        }
    }

    /// <summary>The package list as a table (name, [epoch:]version-release or Debian version, arch), or all of it in JSON.</summary>
    private static void ShowPackages(LoadedManifest m, PackagesComponent database, IReadOnlyList<PackageListEntry> packages, bool json)
    {
        if (json)
        {
            Output.Json(new JsonObject
            {
                ["capsule"] = m.Capsule.Value,
                ["version"] = m.Version,
                ["format"] = database.Format,
                ["database"] = database.Database,
                ["list"] = database.List,
                ["packages"] = CanonicalJson.ToNode(packages.ToList()),
            });
            return;
        }

        int name = Math.Max(4, packages.Select(p => p.Name.Length).DefaultIfEmpty().Max());
        int version = Math.Max(7, packages.Select(p => p.EpochVersionRelease.Length).DefaultIfEmpty().Max());
        Output.Line($"{"NAME".PadRight(name)}  {"VERSION".PadRight(version)}  ARCH");
        foreach (PackageListEntry p in packages)
        {
            Output.Line($"{p.Name.PadRight(name)}  {p.EpochVersionRelease.PadRight(version)}  {p.Arch ?? "-"}");
        }
    }

    public static Command Create()
    {
        var reference = new Argument<string>("NAME[@vN]") { Description = "The capsule version (default: newest)." };
        Option<bool> json = CommonOptions.Json();
        var packages = new Option<bool>("--packages") { Description = "List the installed packages the version recorded (name, version, architecture; --json: every field)." };
        var cmd = new Command("show", "Show a capsule version's manifest: tree, components, warnings, signature.") { reference, packages, json };
        cmd.SetAction(async (parse, ct) =>
        {
            await using Archive archive = await CommonOptions.OpenArchiveAsync(parse, ArchiveAccess.Read, ct);
            LoadedManifest m = await archive.ResolveAsync(CommonOptions.ParseRef(parse.GetValue(reference)), ct);
            if (parse.GetValue(packages))
            {
                (PackagesComponent database, IReadOnlyList<PackageListEntry> list) = await PackageLists.ReadAsync(archive, m, ct);
                ShowPackages(m, database, list, parse.GetValue(json));
                return ExitCodes.Ok;
            }


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

            if (man.Components is { } c)
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
