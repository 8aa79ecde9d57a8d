using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Engine.Locations;
using CernVM.Preserve.Storage;
using CernVM.Preserve.Storage.S3;

namespace CernVM.Preserve.Cli.Commands;

/// <summary><c>storage validate</c>: the storage contract checked against the user's own store.</summary>
public static class StorageCommand
{
    public static Command Create()
    {
        var location = new Argument<string?>("ARCHIVE") { Arity = ArgumentArity.ZeroOrOne, Description = "Optional: the store to check, a directory or s3://bucket/prefix (without it, --archive)." };
        Option<bool> json = CommonOptions.Json();
        var validate = new Command("validate",
            "Check that a store keeps the storage contract: round trips (0 bytes to past the multipart size), missing keys, no overwrite, " +
            "atomic create, listing, retention. Writes under a scratch prefix tmp/cvmpreserve-validate-TIME-ID/ and deletes nothing.") { location, json };
        validate.SetAction(async (parse, ct) =>
        {
            string? text = parse.GetValue(location) ?? parse.GetValue(CommonOptions.Archive);
            ArchiveLocation where = ArchiveLocation.Resolve(text, parse.GetValue(CommonOptions.S3Endpoint), parse.GetValue(CommonOptions.S3Parallel));
            string scratch = $"tmp/cvmpreserve-validate-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..8]}/";
            Func<CancellationToken, Task<IObjectStore>> open;
            int large;
            string scratchLocation;
            string leftBehind;
            if (where.IsS3)
            {
                S3Settings s = where.S3Settings();
                S3Settings scratchSettings = s with { Prefix = s.Prefix + scratch };
                open = async c => await S3ObjectStore.OpenAsync(scratchSettings, c);
                large = s.MultipartThreshold + 1;
                scratchLocation = scratchSettings.Url;
                leftBehind = "";
            }
            else
            {
                string root = Path.Combine(where.LocalPath!, scratch);
                Directory.CreateDirectory(root);
                open = c => Task.FromResult<IObjectStore>(new FileSystemObjectStore(root));
                large = 17 * 1024 * 1024;
                scratchLocation = root;
                leftBehind = root;
            }

            IReadOnlyList<StoreCheck> checks;
            bool locked;
            await using (IObjectStore probe = await open(ct))
            {
                locked = probe.Capabilities.Retention is not null;
            }

            try
            {
                checks = await StoreValidation.RunAsync(open, large, ct);
            }
            finally
            {
                if (leftBehind.Length > 0)
                {
                    Directory.Delete(leftBehind, recursive: true);
                }
            }

            bool ok = checks.All(c => c.Held);
            string cleanup = where.IsS3
                ? locked
                    ? $"the scratch objects under {scratchLocation} are under Object Lock and cannot be deleted before their retention ends"
                    : $"the scratch objects under {scratchLocation} are left in place (this tool deletes nothing); remove them with your S3 client"
                : "the scratch directory was removed";
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject
                {
                    ["store"] = where.IsS3 ? where.S3Settings().Url : where.LocalPath,
                    ["scratch"] = scratchLocation,
                    ["ok"] = ok,
                    ["checks"] = new JsonArray(checks.Select(c => (JsonNode)new JsonObject
                    {
                        ["name"] = c.Name,
                        ["held"] = c.Held,
                        ["applicable"] = c.Applicable,
                        ["detail"] = c.Detail,
                        ["seconds"] = Math.Round(c.Took.TotalSeconds, 3),
                    }).ToArray()),
                    ["cleanup"] = cleanup,
                });
            }
            else
            {
                Output.Line($"storage contract of {(where.IsS3 ? where.S3Settings().Url : where.LocalPath)} (scratch: {scratchLocation})");
                foreach (StoreCheck c in checks)
                {
                    string mark = !c.Applicable ? "n/a " : c.Held ? "ok  " : "FAIL";
                    Output.Line($"  {mark} {c.Name}: {c.Detail} ({Output.Duration(c.Took)})");
                }

                Output.Line(ok ? "every check holds." : $"{checks.Count(c => !c.Held)} check(s) do not hold: do not keep an archive in this store.");
                Output.Line(cleanup + ".");
            }

            return ok ? ExitCodes.Ok : ExitCodes.Environment;
        });
        var cmd = new Command("storage", "Storage checks.") { validate };
        return cmd;
    }
}
