using System.CommandLine;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Cli.Commands;

public static class KeyCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--out", "-o") { Description = "Where to write the private key (PEM); the public key goes to the same name + .pub." };
        Option<bool> json = CommonOptions.Json();
        var create = new Command("new", "Make an Ed25519 key pair for signing manifests.") { output, json };
        create.SetAction((parse, ct) =>
        {
            string path = parse.GetValue(output) ?? throw new PreserveException(FailureKind.Usage, "key new needs --out FILE.");
            if (File.Exists(path) || File.Exists(path + ".pub"))
            {
                throw new PreserveException(FailureKind.Usage, $"{path} or {path}.pub exists; choose another name (keys are never overwritten).");
            }

            (string priv, string pub) = SigningKeys.Generate();
            using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                f.Write(System.Text.Encoding.ASCII.GetBytes(priv));
            }

            File.WriteAllText(path + ".pub", pub);
            string id = SigningKeys.KeyIdOfPublicPem(pub);
            if (parse.GetValue(json))
            {
                Output.Json(new JsonObject { ["private"] = Path.GetFullPath(path), ["public"] = Path.GetFullPath(path + ".pub"), ["keyId"] = id });
            }
            else
            {
                Output.Line($"wrote {path} (private, mode 600) and {path}.pub; key id {id}");
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        var cmd = new Command("key", "Manage curator signing keys.") { create };
        return cmd;
    }
}
