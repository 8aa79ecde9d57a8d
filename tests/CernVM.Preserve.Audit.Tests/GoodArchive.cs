using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Cli.Tests;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>
/// A real archive made once per test class by the real tool: capsule <c>good</c>, v1 signed with the curator's
/// key (bundled small files, a file of several chunks, a sparse file, a hard link, a Latin-1 name), v2 unsigned
/// (one file changed, one added), and capsule <c>other</c> (signed) holding copies of the two large files, whose chunks all three versions share. Tests audit copies of it.
/// </summary>
public sealed class GoodArchive : IDisposable
{
    private readonly TempDir _dir = new("cvmp-audit-good-");

    public GoodArchive()
    {
        string tree = _dir["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "small"));
        for (int i = 0; i < 30; i++)
        {
            File.WriteAllText(Path.Combine(tree, "small", $"f{i}.txt"), $"file {i}\n");
        }

        File.WriteAllBytes(Path.Combine(tree, "big.bin"), RandomBytes(3_000_000, 1));
        File.WriteAllBytes(Path.Combine(tree, "one-chunk.bin"), RandomBytes(400_000, 2));
        CliRunner.Sh($"cd '{tree}' && truncate -s 3000000 sparse && printf data | dd of=sparse bs=1 seek=1000000 conv=notrunc 2>/dev/null && " +
                     $"ln small/f1.txt small/f1-link.txt && printf latin > \"caf$(printf '\\351')\" && : > empty");
        Run("init", Archive);
        Run("key", "new", "--out", Key);
        Run("key", "new", "--out", OtherKey);
        Run("snapshot", "--rootfs", tree, "--name", "good", "--sign", Key, "--archive", Archive);
        File.WriteAllText(Path.Combine(tree, "small", "f2.txt"), "changed\n");
        File.WriteAllText(Path.Combine(tree, "added.txt"), "added in v2\n");
        Run("snapshot", "--rootfs", tree, "--name", "good", "--archive", Archive);
        string shared = _dir["shared"];
        CliRunner.Sh($"mkdir '{shared}' && cp '{tree}/big.bin' '{tree}/one-chunk.bin' '{shared}/' && echo own > '{shared}/own.txt'");
        Run("snapshot", "--rootfs", shared, "--name", "other", "--sign", Key, "--archive", Archive);
    }

    public string Archive => _dir["archive"];

    /// <summary>The curator's signing key; its public half is <c>Key + ".pub"</c>.</summary>
    public string Key => _dir["curator.key"];

    public string OtherKey => _dir["other.key"];

    /// <summary>A private copy of the archive, in a directory the caller disposes of.</summary>
    public TempDir Copy(out string archive)
    {
        var t = new TempDir("cvmp-audit-");
        archive = t["archive"];
        CliRunner.Sh($"cp -a '{Archive}' '{archive}'");
        return t;
    }

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static void Run(params string[] args)
    {
        CliResult r = CliRunner.Run(args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException(r.ToString());
        }
    }

    /// <summary>Audits <paramref name="archive"/> in-process, as the command does, recording the audit in its journal.</summary>
    public static async Task<AuditReport> AuditAsync(string archive, AuditOptions options, bool record = true)
    {
        await using IObjectStore store = new FileSystemObjectStore(archive);
        AuditReport report = await ArchiveAuditor.RunAsync(store, options, CancellationToken.None);
        if (record)
        {
            await AuditJournal.WriteAsync(store, report, new Core.Format.Producer("cvmpreserve-tests", "0", "test", "test"), CancellationToken.None);
        }

        return report;
    }

    /// <summary>The key id (FORMAT.md §5.4) of a public key file.</summary>
    public static string KeyId(string publicKeyFile) => SignatureCheck.KeyIdOfPublicPem(File.ReadAllText(publicKeyFile));

    public static string ManifestPath(string archive, string capsule, int version) => Path.Combine(archive, "capsules", capsule, $"v{version}", "manifest.json");

    /// <summary>Rewrites a manifest and its sidecar as a writer would: edited, re-hashed, sidecar matching.</summary>
    public static void EditManifest(string archive, string capsule, int version, Action<JsonObject> edit)
    {
        string path = ManifestPath(archive, capsule, version);
        JsonObject m = JsonNode.Parse(File.ReadAllBytes(path))!.AsObject();
        edit(m);
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(m.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Replace(path, bytes);
        Replace(path + ".sha256", System.Text.Encoding.ASCII.GetBytes($"{Convert.ToHexStringLower(SHA256.HashData(bytes))}  manifest.json\n"));
    }

    /// <summary>Replaces a file of the archive (objects are written read-only).</summary>
    public static void Replace(string path, byte[] bytes)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Stores bytes as a blob the way §4.1 says (standard zstd), returning its id.</summary>
    public static string PutBlob(string archive, byte[] content)
    {
        string id = Convert.ToHexStringLower(SHA256.HashData(content));
        string dir = Path.Combine(archive, "blobs", "sha256", id[..2]);
        Directory.CreateDirectory(dir);
        string raw = Path.Combine(Path.GetTempPath(), $"cvmp-blob-{Guid.NewGuid():N}");
        File.WriteAllBytes(raw, content);
        CliRunner.Sh($"zstd -q -f --check '{raw}' -o '{dir}/{id}' && rm -f '{raw}'");
        return id;
    }

    public static string BlobPath(string archive, string id) => Path.Combine(archive, "blobs", "sha256", id[..2], id);

    public static string CatalogOf(string archive, string capsule, int version) =>
        (string)JsonNode.Parse(File.ReadAllBytes(ManifestPath(archive, capsule, version)))!["tree"]!["catalog"]!;

    /// <summary>The journal's event files, oldest first.</summary>
    public static List<string> Events(string archive) =>
        [.. Directory.GetFiles(Path.Combine(archive, "journal"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    public void Dispose() => _dir.Dispose();
}
