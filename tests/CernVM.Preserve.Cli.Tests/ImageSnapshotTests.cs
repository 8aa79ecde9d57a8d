using System.Text.Json.Nodes;
using Xunit;

namespace CernVM.Preserve.Cli.Tests;

/// <summary>
/// Root file systems from container images, made offline with the real tools: umoci builds an OCI layout
/// of several layers (the demo environment, then whiteouts of a file and a directory, then an opaque
/// directory), skopeo turns it into a docker save archive. The capsule tree of every form must equal the
/// rootfs umoci itself unpacks, captured as a directory.
/// </summary>
public sealed class ImageSnapshotTests
{
    private static void RequireTools()
    {
        foreach (string tool in new[] { "umoci", "skopeo" })
        {
            Assert.True(CliRunner.Sh($"command -v {tool} || true").Trim().Length > 0, $"'{tool}' is missing: run tools/install-test-deps.sh (apt-get install umoci skopeo).");
        }
    }

    /// <summary>An OCI layout "img" (tag t) with four layers, and umoci's own unpacking of it in "final/rootfs".</summary>
    private static void MakeImage(TempDir t)
    {
        CliRunner.Sh($"""
            set -e
            cd '{t.Path}'
            '{CliRunner.RepoRoot}/tools/make-demo-env.sh' env
            umoci init --layout img
            umoci new --image img:t
            umoci unpack --image img:t bundle >/dev/null
            cp -a env/. bundle/rootfs/
            umoci repack --image img:t bundle
            rm -rf bundle
            umoci insert --image img:t --whiteout /etc/hostname
            umoci insert --image img:t --whiteout /home/alpha
            mkdir newref && printf 'replaced by the last layer\n' > newref/only.txt
            umoci insert --image img:t --opaque newref /aleph/reference
            umoci unpack --image img:t final >/dev/null
            """);
    }

    private static JsonNode Diff(TempDir t, string a, string b) =>
        JsonNode.Parse(CliRunner.Run("diff", a, b, "--json", "--archive", t["a"]).Stdout)!;

    private static void AssertSame(TempDir t, string a, string b)
    {
        JsonNode diff = Diff(t, a, b);
        Assert.True(diff["added"]!.AsArray().Count == 0 && diff["removed"]!.AsArray().Count == 0 && diff["changed"]!.AsArray().Count == 0, $"{a} vs {b}: {diff.ToJsonString()}");
    }

    private static void Snapshot(TempDir t, string name, string rootfs, string extra = "")
    {
        File.WriteAllText(t[$"{name}.yaml"], $"name: {name}\nos:\n  rootfs: {rootfs}\n{extra}");
        CliResult r = CliRunner.Run("snapshot", t[$"{name}.yaml"], "--archive", t["a"]);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact]
    public void Snapshot_OciLayoutDockerArchiveAndOciTar_EqualTheRootfsUmociUnpacks()
    {
        RequireTools();
        using var t = new TempDir();
        MakeImage(t);
        CliRunner.Sh($"cd '{t.Path}' && skopeo copy oci:img:t docker-archive:'{t["docker.tar"]}':demo/aleph:t >/dev/null && tar -C img -cf oci.tar .");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);

        Snapshot(t, "unpacked", t["final/rootfs"]);
        Snapshot(t, "oci", t["img"], "  metapackage: demo-meta\n");
        Snapshot(t, "docker", t["docker.tar"]);
        Snapshot(t, "ocitar", t["oci.tar"]);

        AssertSame(t, "unpacked", "oci");
        AssertSame(t, "unpacked", "docker");
        AssertSame(t, "unpacked", "ocitar");

        // The whiteouts removed a file and a directory; the opaque directory holds only the last layer's file.
        string ls = CliRunner.Run("ls", "oci", "-R", "--archive", t["a"]).Stdout;
        Assert.DoesNotContain("etc/hostname", ls, StringComparison.Ordinal);
        Assert.DoesNotContain("home/alpha", ls, StringComparison.Ordinal);
        Assert.DoesNotContain(".wh.", ls, StringComparison.Ordinal);
        Assert.Contains("etc/passwd", ls, StringComparison.Ordinal);

        // Owner names from the image's own etc/passwd and etc/group (umoci leaves the tar headers' names empty).
        string alpha = CliRunner.Run("ls", "oci", "/aleph/alpha", "-l", "--archive", t["a"]).Stdout;
        Assert.Equal(CliRunner.Run("ls", "unpacked", "/aleph/alpha", "-l", "--archive", t["a"]).Stdout, alpha);
        Assert.Matches(@"alpha\s+aleph\s.*/aleph/alpha/data", alpha);
        Assert.Equal(["only.txt"], CliRunner.Run("ls", "oci", "/aleph/reference", "--archive", t["a"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().Split('/')[^1]));
        Assert.Equal("replaced by the last layer\n", CliRunner.Run("cat", "oci", "/aleph/reference/only.txt", "--archive", t["a"]).Stdout);

        // The image's identity: the OCI manifest and config digests, platform, layers; the OS inside it read as usual.
        JsonNode os = JsonNode.Parse(CliRunner.Run("show", "oci", "--json", "--archive", t["a"]).Stdout)!["manifest"]!["components"]!["os"]!;
        JsonNode index = JsonNode.Parse(File.ReadAllText(t["img/index.json"]))!;
        Assert.Equal((string)index["manifests"]![0]!["digest"]!, (string)os["image"]!["manifestDigest"]!);
        Assert.Equal(("oci", "t", "amd64", "linux", 4), ((string)os["image"]!["format"]!, (string)os["image"]!["reference"]!, (string)os["image"]!["architecture"]!, (string)os["image"]!["os"]!, os["image"]!["layers"]!.AsArray().Count));
        Assert.Equal("Scientific Linux SL release 4.7 (Beryllium)", (string)os["release"]!);
        Assert.True((bool)os["pin"]!["consistent"]!);
        JsonNode docker = JsonNode.Parse(CliRunner.Run("show", "docker", "--json", "--archive", t["a"]).Stdout)!["manifest"]!["components"]!["os"]!["image"]!;
        Assert.Equal(("docker-archive", "docker.io/demo/aleph:t"), ((string)docker["format"]!, (string)docker["reference"]!));
        Assert.Equal((string)os["image"]!["configDigest"]!, (string)docker["configDigest"]!);
        Assert.Contains("image       oci t: linux/amd64, 4 layers", CliRunner.Run("show", "oci", "--archive", t["a"]).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_OciLayoutWithACorruptLayer_Exit3NamingTheLayerAndNothingCommitted()
    {
        RequireTools();
        using var t = new TempDir();
        MakeImage(t);
        JsonNode index = JsonNode.Parse(File.ReadAllText(t["img/index.json"]))!;
        string manifestBlob = t["img/blobs/sha256/" + ((string)index["manifests"]![0]!["digest"]!)[7..]];
        string layer = ((string)JsonNode.Parse(File.ReadAllText(manifestBlob))!["layers"]![1]!["digest"]!)[7..];
        CliRunner.Sh($"printf 'X' | dd of='{t["img/blobs/sha256/" + layer]}' bs=1 seek=20 conv=notrunc 2>/dev/null");
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        File.WriteAllText(t["bad.yaml"], $"name: bad\nos:\n  rootfs: {t["img"]}\n");

        CliResult r = CliRunner.Run("snapshot", t["bad.yaml"], "--archive", t["a"]);

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains($"layer 2 of 4 (blobs/sha256/{layer}) does not match its digest sha256:{layer}", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(CliRunner.Run("list", "--json", "--archive", t["a"]).Stdout)!["versions"]!.AsArray());
        Assert.False(Directory.Exists(t["a/capsules/bad"]));
    }

    [Fact]
    public void Snapshot_DockerArchiveWithALayerNotMatchingItsDiffId_Exit3()
    {
        RequireTools();
        using var t = new TempDir();
        MakeImage(t);
        CliRunner.Sh($"""
            set -e
            cd '{t.Path}'
            skopeo copy oci:img:t docker-archive:'{t["docker.tar"]}':demo/aleph:t >/dev/null
            mkdir x && tar -C x -xf docker.tar
            layer=$(ls x/*.tar | tail -1)
            printf 'X' | dd of="$layer" bs=1 seek=600 conv=notrunc 2>/dev/null
            tar -C x -cf bad.tar .
            """);
        Assert.Equal(0, CliRunner.Run("init", t["a"]).ExitCode);
        File.WriteAllText(t["bad.yaml"], $"name: bad\nos:\n  rootfs: {t["bad.tar"]}\n");

        CliResult r = CliRunner.Run("snapshot", t["bad.yaml"], "--archive", t["a"]);

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Matches(@"layer \d of 4 \([0-9a-f]{64}\.tar\): the uncompressed layer hashes to sha256:[0-9a-f]{64}, the image config says sha256:", r.Stderr);
    }
}
