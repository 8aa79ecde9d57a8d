using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>Damage in the archive is reported by name, with exit code 3, and never passes for content.</summary>
public class CorruptionTests
{
    private static (TempDir T, string Archive) Snapshot()
    {
        var t = new TempDir();
        string tree = t["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "small"));
        for (int i = 0; i < 20; i++)
        {
            File.WriteAllText(Path.Combine(tree, "small", $"f{i}.txt"), $"file {i}\n");
        }

        File.WriteAllBytes(Path.Combine(tree, "big.bin"), ArchiveCommandTests.RandomBytes(2_000_000, 9));
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", tree, "--name", "c", "--archive", t["a"]).ExitCode);
        return (t, t["a"]);
    }

    private static string BlobOf(string archive, string capsule, string path)
    {
        // Found the way a reader without the software would (FORMAT.md §9): the catalog, then its extents.
        string catalog = (string)JsonNode.Parse(CliRunner.Run("show", capsule, "--json", "--archive", archive).Stdout)!["manifest"]!["tree"]!["catalog"]!;
        string db = Path.Combine(archive, "..", $"catalog-{Guid.NewGuid():N}.db");
        CliRunner.Sh($"zstd -q -d -c '{archive}/blobs/sha256/{catalog[..2]}/{catalog}' > '{db}'");
        string blob = CliRunner.Sh($"sqlite3 -readonly '{db}' \"SELECT x.blob FROM extents x JOIN entries e ON e.id = x.entry WHERE e.path = CAST('{path.TrimStart('/')}' AS BLOB) ORDER BY x.offset LIMIT 1\"").Trim();
        File.Delete(db);
        return Path.Combine(archive, "blobs", "sha256", blob[..2], blob);
    }

    [Fact]
    public void Restore_CorruptBlob_Exits3NamingTheBlobAndThePathsAndRestoresTheRest()
    {
        (TempDir t, string a) = Snapshot();
        using (t)
        {
            string blob = BlobOf(a, "c", "/big.bin");
            byte[] bytes = File.ReadAllBytes(blob);
            bytes[bytes.Length / 2] ^= 0x01;
            File.WriteAllBytes(blob, bytes);
            CliResult r = CliRunner.Run("restore", "c", "--to", t["out"], "--archive", a);
            Assert.Equal(3, r.ExitCode);
            Assert.Contains("RST011", r.Stderr);
            Assert.Contains(Path.GetFileName(blob), r.Stderr);
            Assert.Contains("big.bin", r.Stderr);
            Assert.Equal("file 7\n", File.ReadAllText(t["out/small/f7.txt"]));
            Assert.False(File.Exists(t["out/big.bin"]));
            Assert.Equal(3, CliRunner.Run("cat", "c", "/big.bin", "--archive", a).ExitCode);
        }
    }

    [Fact]
    public void Restore_MissingBlob_Exits3WithRst010()
    {
        (TempDir t, string a) = Snapshot();
        using (t)
        {
            string blob = BlobOf(a, "c", "/big.bin");
            File.Delete(blob);
            CliResult r = CliRunner.Run("restore", "c", "--to", t["out"], "--archive", a);
            Assert.Equal(3, r.ExitCode);
            Assert.Contains("RST010", r.Stderr);
            Assert.Contains("missing", r.Stderr);
            Assert.Contains("big.bin", r.Stderr);
        }
    }

    [Fact]
    public void Show_ManifestThatFailsItsSchema_Exits3NamingTheField()
    {
        (TempDir t, string a) = Snapshot();
        using (t)
        {
            string dir = Path.Combine(a, "capsules/c/v1");
            string manifest = File.ReadAllText(Path.Combine(dir, "manifest.json")).Replace("\"files\": ", "\"files\": -");
            File.WriteAllText(Path.Combine(dir, "manifest.json"), manifest);
            File.WriteAllText(Path.Combine(dir, "manifest.json.sha256"), $"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))))}  manifest.json\n");
            CliResult r = CliRunner.Run("show", "c", "--archive", a);
            Assert.Equal(3, r.ExitCode);
            Assert.Contains("fails its schema", r.Stderr);
            Assert.Contains("/tree/files", r.Stderr);
        }
    }

    [Fact]
    public void Ls_CatalogBlobThatIsNotSqlite_Exits3NamingTheCatalog()
    {
        (TempDir t, string a) = Snapshot();
        using (t)
        {
            // A well-formed blob (right name for its content) that is no SQLite database, made with zstd itself.
            string content = t["not-a-catalog"];
            File.WriteAllText(content, "this is not an SQLite database\n");
            string id = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(content)));
            Directory.CreateDirectory(Path.Combine(a, "blobs/sha256", id[..2]));
            CliRunner.Sh($"zstd -q -c '{content}' > '{a}/blobs/sha256/{id[..2]}/{id}'");
            string dir = Path.Combine(a, "capsules/c/v1");
            JsonNode m = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!;
            string old = (string)m["tree"]!["catalog"]!;
            File.WriteAllText(Path.Combine(dir, "manifest.json"), File.ReadAllText(Path.Combine(dir, "manifest.json")).Replace(old, id));
            File.WriteAllText(Path.Combine(dir, "manifest.json.sha256"), $"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))))}  manifest.json\n");
            CliResult r = CliRunner.Run("ls", "c", "--archive", a);
            Assert.Equal(3, r.ExitCode);
            Assert.Contains(id, r.Stderr);
            Assert.Contains("not an SQLite", r.Stderr);
            Assert.Equal(3, CliRunner.Run("restore", "c", "--to", t["out"], "--archive", a).ExitCode);
        }
    }
}
