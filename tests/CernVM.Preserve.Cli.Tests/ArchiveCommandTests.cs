using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

public class ArchiveCommandTests
{
    private static string RepoRoot() => CliRunner.RepoRoot;

    private static void MakeTree(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "usr/bin"));
        File.WriteAllText(Path.Combine(root, "etc/hello.txt"), "hello, archive\n");
        File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nalpha:x:1042:1042::/home/alpha:/bin/sh\n");
        File.WriteAllBytes(Path.Combine(root, "usr/bin/big.bin"), RandomBytes(3 * 1024 * 1024, 5));
        File.CreateSymbolicLink(Path.Combine(root, "usr/bin/link"), "big.bin");
    }

    internal static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void Init_WritesTheLayoutOfFormat1_WithThisFormatDocument()
    {
        using var t = new TempDir();
        string a = t["archive"];
        CliResult r = CliRunner.Run("init", a);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("cernvm-preserve_1\n", File.ReadAllText(Path.Combine(a, "0=cernvm-preserve_1")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoRoot(), "docs/FORMAT.md")), File.ReadAllBytes(Path.Combine(a, "FORMAT.md")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoRoot(), "catalog-schema/manifest.schema.json")), File.ReadAllBytes(Path.Combine(a, "schemas/manifest.schema.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoRoot(), "catalog-schema/tree-catalog.sql")), File.ReadAllBytes(Path.Combine(a, "schemas/tree-catalog.sql")));
        JsonNode desc = JsonNode.Parse(File.ReadAllText(Path.Combine(a, "archive.json")))!;
        Assert.Equal(1, (int)desc["format"]!);
        Assert.Equal("sha256", (string)desc["hash"]!);
    }

    [Fact]
    public void Init_TwiceOrIntoANonEmptyDirectory_IsRefused()
    {
        using var t = new TempDir();
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult again = CliRunner.Run("init", t["a"]);
        Assert.Equal(7, again.ExitCode);
        Assert.Contains("already an archive", again.Stderr);
        Directory.CreateDirectory(t["b"]);
        File.WriteAllText(t["b/precious.txt"], "keep");
        CliResult nonEmpty = CliRunner.Run("init", t["b"]);
        Assert.Equal(2, nonEmpty.ExitCode);
        Assert.Contains("not empty", nonEmpty.Stderr);
        Assert.Equal("keep", File.ReadAllText(t["b/precious.txt"]));
    }

    [Fact]
    public void Commands_OnADirectoryThatIsNotAnArchive_ExitWith4AndSaySo()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["plain"]);
        foreach (string[] args in new[] { new[] { "list" }, new[] { "show", "x" }, new[] { "snapshot", "--rootfs", t.Path, "--name", "x" } })
        {
            CliResult r = CliRunner.Run([.. args, "--archive", t["plain"]]);
            Assert.True(r.ExitCode == 4, r.ToString());
            Assert.Contains("is not a CernVM.Preserve archive", r.Stderr);
            Assert.Contains(t["plain"], r.Stderr);
        }

        CliResult missing = CliRunner.Run("list", "--archive", t["nowhere"]);
        Assert.Equal(4, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr);
    }

    [Fact]
    public void Commands_OnAnArchiveOfANewerFormat_ExitWith4AndNameTheFormat()
    {
        using var t = new TempDir();
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        File.Move(t["a/0=cernvm-preserve_1"], t["a/0=cernvm-preserve_2"]);
        CliResult r = CliRunner.Run("list", "--archive", t["a"]);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("format 2", r.Stderr);

        using var u = new TempDir();
        Assert.Equal(0, CliRunner.Run("init", u["a"]).ExitCode);
        File.WriteAllText(u["a/archive.json"], File.ReadAllText(u["a/archive.json"]).Replace("\"format\": 1", "\"format\": 2"));
        CliResult r2 = CliRunner.Run("list", "--archive", u["a"]);
        Assert.Equal(4, r2.ExitCode);
        Assert.Contains("archive.json", r2.Stderr);
    }

    [Fact]
    public void BadArguments_ExitWith2()
    {
        Assert.Equal(2, CliRunner.Run("snapshot", "--no-such-option").ExitCode);
        Assert.Equal(2, CliRunner.Run("frobnicate").ExitCode);
        using var t = new TempDir();
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        CliResult badName = CliRunner.Run("snapshot", "--rootfs", t.Path, "--name", "Bad Name", "--archive", t["a"]);
        Assert.Equal(2, badName.ExitCode);
        Assert.Contains("capsule name", badName.Stderr);
        CliResult notDir = CliRunner.Run("snapshot", "--rootfs", t["a/archive.json"], "--name", "x", "--archive", t["a"]);
        Assert.Equal(2, notDir.ExitCode);
        Assert.Contains("not a tar archive", notDir.Stderr);
    }

    [Fact]
    public void SnapshotListShowLsCatDiffRestore_WorkTogether()
    {
        using var t = new TempDir();
        string a = t["archive"], tree = t["tree"];
        MakeTree(tree);
        Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
        CliResult s1 = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "demo", "--title", "first", "--archive", a, "--json");
        Assert.True(s1.ExitCode == 0, s1.ToString());
        JsonNode j1 = JsonNode.Parse(s1.Stdout)!;
        Assert.Equal(1, (int)j1["version"]!);

        File.WriteAllText(Path.Combine(tree, "etc/hello.txt"), "hello again\n");
        File.WriteAllText(Path.Combine(tree, "etc/new.txt"), "new\n");
        File.Delete(Path.Combine(tree, "usr/bin/link"));
        CliResult s2 = CliRunner.Run("snapshot", "--rootfs", tree, "--name", "demo", "--archive", a);
        Assert.True(s2.ExitCode == 0, s2.ToString());
        Assert.Contains("demo@v2", s2.Stdout);
        Assert.Contains("(previous v1)", s2.Stdout);

        JsonNode list = JsonNode.Parse(CliRunner.Run("list", "--json", "--archive", a).Stdout)!;
        Assert.Equal(2, list["versions"]!.AsArray().Count);

        JsonNode show = JsonNode.Parse(CliRunner.Run("show", "demo@v1", "--json", "--archive", a).Stdout)!;
        Assert.Equal("first", (string)show["manifest"]!["title"]!);
        Assert.Equal(1, (int)show["manifest"]!["version"]!);
        Assert.Null(show["manifest"]!["previous"]);
        JsonNode show2 = JsonNode.Parse(CliRunner.Run("show", "demo", "--json", "--archive", a).Stdout)!;
        Assert.Equal((string)show["manifestSha256"]!, (string)show2["manifest"]!["previous"]!["manifestSha256"]!);

        CliResult ls = CliRunner.Run("ls", "demo@v1", "/etc", "-l", "--archive", a);
        Assert.Contains("/etc/hello.txt", ls.Stdout);
        JsonNode lsj = JsonNode.Parse(CliRunner.Run("ls", "demo@v1", "/usr/bin", "--json", "--archive", a).Stdout)!;
        Assert.Contains(lsj["entries"]!.AsArray(), e => (string)e!["path"]! == "/usr/bin/link" && (string)e!["target"]! == "big.bin");

        Assert.Equal("hello, archive\n", CliRunner.Run("cat", "demo@v1", "/etc/hello.txt", "--archive", a).Stdout);
        Assert.Equal("hello again\n", CliRunner.Run("cat", "demo", "etc/hello.txt", "--archive", a).Stdout);
        Assert.Equal(5, CliRunner.Run("cat", "demo", "/etc/none", "--archive", a).ExitCode);
        Assert.Equal(2, CliRunner.Run("cat", "demo", "/etc", "--archive", a).ExitCode);

        JsonNode diff = JsonNode.Parse(CliRunner.Run("diff", "demo@v1", "demo@v2", "--json", "--archive", a).Stdout)!;
        Assert.Contains(diff["added"]!.AsArray(), p => (string)p! == "/etc/new.txt");
        Assert.Contains(diff["removed"]!.AsArray(), p => (string)p! == "/usr/bin/link");
        Assert.Contains(diff["changed"]!.AsArray(), c => (string)c!["path"]! == "/etc/hello.txt" && c["fields"]!.AsArray().Any(f => (string)f! == "content"));

        CliResult restore = CliRunner.Run("restore", "demo@v1", "--to", t["out"], "--archive", a);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("hello, archive\n", File.ReadAllText(t["out/etc/hello.txt"]));
        Assert.Equal(File.ReadAllBytes(Path.Combine(tree, "usr/bin/big.bin")), File.ReadAllBytes(t["out/usr/bin/big.bin"]));
        Assert.Equal("big.bin", new FileInfo(t["out/usr/bin/link"]).LinkTarget);

        CliResult again = CliRunner.Run("restore", "demo@v1", "--to", t["out"], "--archive", a);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("not empty", again.Stderr);

        Assert.Equal(5, CliRunner.Run("show", "nosuch", "--archive", a).ExitCode);
        Assert.Equal(5, CliRunner.Run("show", "demo@v9", "--archive", a).ExitCode);
        Assert.Equal(5, CliRunner.Run("ls", "demo", "/no/such/path", "--archive", a).ExitCode);
    }

    [Fact]
    public void Show_ManifestThatDoesNotMatchItsSidecar_Exits3NamingTheFile()
    {
        using var t = new TempDir();
        string a = t["archive"];
        MakeTree(t["tree"]);
        Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
        Assert.Equal(0, CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "demo", "--archive", a).ExitCode);
        string manifest = Path.Combine(a, "capsules/demo/v1/manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"title\"", "\"title\"").Replace("\"entries\": ", "\"entries\":  "));
        CliResult r = CliRunner.Run("show", "demo", "--archive", a);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("capsules/demo/v1/manifest.json", r.Stderr);
        Assert.Contains("sidecar", r.Stderr);
    }

    [Fact]
    public void Snapshot_SignedWithACuratorKey_ShowsTheKeyAndRefusesATamperedSignature()
    {
        using var t = new TempDir();
        string a = t["archive"];
        MakeTree(t["tree"]);
        CliResult key = CliRunner.Run("key", "new", "--out", t["curator.key"]);
        Assert.True(key.ExitCode == 0, key.ToString());
        Assert.True(File.Exists(t["curator.key.pub"]));
        Assert.Equal(0, CliRunner.Run("init", a).ExitCode);
        CliResult s = CliRunner.Run("snapshot", "--rootfs", t["tree"], "--name", "demo", "--sign", t["curator.key"], "--archive", a);
        Assert.True(s.ExitCode == 0, s.ToString());
        JsonNode show = JsonNode.Parse(CliRunner.Run("show", "demo", "--json", "--archive", a).Stdout)!;
        Assert.Equal("Ed25519", (string)show["signature"]!["algorithm"]!);

        // openssl checks the signature with nothing but the .sig file's public key (FORMAT.md §5.4).
        string dir = Path.Combine(a, "capsules/demo/v1");
        JsonNode sig = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json.sig")))!;
        File.WriteAllBytes(t["pub.der"], Convert.FromBase64String((string)sig["publicKey"]!));
        File.WriteAllBytes(t["sig.bin"], Convert.FromBase64String((string)sig["signature"]!));
        CliRunner.Sh($"openssl pkeyutl -verify -pubin -keyform DER -inkey '{t["pub.der"]}' -rawin -in '{dir}/manifest.json' -sigfile '{t["sig.bin"]}'");

        byte[] raw = Convert.FromBase64String((string)sig["signature"]!);
        raw[0] ^= 0xFF;
        sig["signature"] = Convert.ToBase64String(raw);
        File.WriteAllText(Path.Combine(dir, "manifest.json.sig"), sig.ToJsonString());
        CliResult bad = CliRunner.Run("show", "demo", "--archive", a);
        Assert.Equal(3, bad.ExitCode);
        Assert.Contains("signature does not verify", bad.Stderr);
    }
}
