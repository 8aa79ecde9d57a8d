using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Tests.Boot;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Trees;

/// <summary>
/// Layer application by the OCI image specification's rules (image-spec layer.md, "Applying changesets"),
/// on an OCI layout written here with tar, gzip, zstd and sha256sum: the cases umoci does not make.
/// </summary>
public sealed class ImageTreeSourceTests : IDisposable
{
    private readonly Packages.TemporaryDirectory _work = new();

    public void Dispose() => _work.Dispose();

    /// <summary>An OCI layout in "img" whose layers are the directories l1, l2, … compressed as given.</summary>
    private string Layout(params string[] compressors)
    {
        var script = new System.Text.StringBuilder("""
            mkdir -p img/blobs/sha256
            printf '{"imageLayoutVersion":"1.0.0"}' > img/oci-layout
            put() { d=$(sha256sum "$1" | cut -c1-64); mv "$1" img/blobs/sha256/$d; echo $d; }
            layers=""; diffs=""

            """);
        for (int i = 0; i < compressors.Length; i++)
        {
            string media = compressors[i] switch { "gzip" => "+gzip", "zstd" => "+zstd", _ => "" };
            string compress = compressors[i] == "none" ? "cat" : $"{compressors[i]} -c";
            script.Append($$"""
                tar --format=posix --numeric-owner --owner=0 --group=0 --mtime=@1000000000 --sort=name -C l{{i + 1}} -cf layer.tar .
                diff=$(sha256sum layer.tar | cut -c1-64)
                {{compress}} < layer.tar > blob && rm layer.tar
                size=$(stat -c %s blob); d=$(put blob)
                layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar{{media}}\",\"digest\":\"sha256:$d\",\"size\":$size}"
                diffs="$diffs${diffs:+,}\"sha256:$diff\""

                """);
        }

        script.Append("""
            printf '{"architecture":"amd64","os":"linux","created":"2001-09-09T01:46:40Z","rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" > config.json
            csize=$(stat -c %s config.json); c=$(put config.json)
            printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$c" "$csize" "$layers" > manifest.json
            msize=$(stat -c %s manifest.json); m=$(put manifest.json)
            printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' "$m" "$msize" > img/index.json
            """);
        Shell.Run(script.ToString(), _work.Path);
        return Path.Combine(_work.Path, "img");
    }

    private static string Content(ITreeSource source, TreeEntry e)
    {
        using IFileContent c = source.Open(e);
        byte[] b = new byte[e.Size];
        int n = c.Read(b, 0);
        return System.Text.Encoding.UTF8.GetString(b, 0, n);
    }

    [Fact]
    public void Walk_FileReplacesDirectoryAndWhiteoutOfAHardLinksFirstName_OciRulesApplied()
    {
        Shell.Require("tar", "gzip", "zstd", "sha256sum");
        Shell.Run("""
            mkdir -p l1/opt/d/sub l1/usr/bin l2/opt l2/usr/bin l3/etc
            echo inside > l1/opt/d/sub/x
            echo tool > l1/usr/bin/a && ln l1/usr/bin/a l1/usr/bin/b && ln l1/usr/bin/a l1/usr/bin/c
            echo keep > l1/etc-keep
            echo 'now a file' > l2/opt/d
            touch l2/usr/bin/.wh.a
            mkdir -p l3/etc && echo cfg > l3/etc/conf
            """, _work.Path);
        using var source = new ImageTreeSource(Layout("gzip", "zstd", "none"));

        List<TreeEntry> entries = source.Walk(CancellationToken.None);
        var byPath = entries.ToDictionary(e => e.DisplayPath);

        Assert.Equal(EntryKind.File, byPath["opt/d"].Kind);
        Assert.Equal("now a file\n", Content(source, byPath["opt/d"]));
        Assert.DoesNotContain(entries, e => e.DisplayPath.StartsWith("opt/d/", StringComparison.Ordinal));
        Assert.False(byPath.ContainsKey("usr/bin/a"));
        Assert.DoesNotContain(entries, e => e.DisplayPath.Contains(".wh.", StringComparison.Ordinal));

        // The other names of the deleted file's inode keep its content, still one inode.
        TreeEntry b = byPath["usr/bin/b"];
        Assert.Null(b.HardlinkTo);
        Assert.Equal("tool\n", Content(source, b));
        Assert.Equal(b.Id, byPath["usr/bin/c"].HardlinkTo);
        Assert.Equal("cfg\n", Content(source, byPath["etc/conf"]));
        Assert.Equal("keep\n", Content(source, byPath["etc-keep"]));
        Assert.Equal(("oci", "v1", "amd64", "linux", 3), (source.Image!.Format, source.Image.Reference, source.Image.Architecture, source.Image.Os, source.Image.Layers.Count));
    }

    /// <summary>Whiteouts of '..' and '.' (<c>.wh...</c>, <c>.wh..</c>) would delete the directory above or the one they are in: refused by name.</summary>
    [Theory]
    [InlineData(".wh...")]
    [InlineData(".wh..")]
    public void Walk_WhiteoutOfDotDot_RefusedNamingTheWhiteout(string whiteout)
    {
        Shell.Require("tar", "sha256sum");
        Shell.Run($"""
            mkdir -p l1/etc l2/etc
            echo keep > l1/etc/passwd
            touch 'l2/etc/{whiteout}'
            """, _work.Path);
        using var source = new ImageTreeSource(Layout("none", "none"));

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Equal(FailureKind.Usage, e.Kind);
        Assert.Contains($"whiteout 'etc/{whiteout}' names no entry", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A lower layer's symlink (var -> /etc) and an upper layer holding the directory var with a file in it: the
    /// directory replaces the link, as tar -x does, and the file lands inside the tree, never in /etc.
    /// </summary>
    [Fact]
    public void Walk_UpperLayerDirectoryOverALowerLayersSymlink_ReplacesTheLinkInsideTheTree()
    {
        Shell.Require("tar", "sha256sum");
        Shell.Run("""
            mkdir -p l1 l2/var/run
            ln -s /etc l1/var
            echo evil > l2/var/run/passwd
            """, _work.Path);
        using var source = new ImageTreeSource(Layout("none", "none"));

        var byPath = source.Walk(CancellationToken.None).ToDictionary(e => e.DisplayPath);

        Assert.Equal(EntryKind.Directory, byPath["var"].Kind);
        Assert.Equal("evil\n", Content(source, byPath["var/run/passwd"]));
    }

    [Fact]
    public void Walk_ConfigDiffIdNotMatchingTheLayer_IntegrityErrorNamingTheLayer()
    {
        Shell.Require("tar", "gzip", "sha256sum");
        Shell.Run("mkdir -p l1 l2 && echo a > l1/a && echo b > l2/b", _work.Path);
        string img = Layout("gzip", "gzip");

        // Swap the two diff_ids in the config and re-address it: the blobs are intact, the config lies.
        Shell.Run("""
            m=$(sed 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/' img/index.json)
            c=$(sed 's/.*"config":{[^}]*"digest":"sha256:\([0-9a-f]*\)".*/\1/' img/blobs/sha256/$m)
            sed 's/"diff_ids":\["\([^"]*\)","\([^"]*\)"\]/"diff_ids":["\2","\1"]/' img/blobs/sha256/$c > config.json
            n=$(sha256sum config.json | cut -c1-64); mv config.json img/blobs/sha256/$n
            sed "s/$c/$n/" img/blobs/sha256/$m > manifest.json
            k=$(sha256sum manifest.json | cut -c1-64); mv manifest.json img/blobs/sha256/$k
            sed -i "s/$m/$k/" img/index.json
            """, _work.Path);
        using var source = new ImageTreeSource(img);

        PreserveException e = Assert.Throws<PreserveException>(() => source.Walk(CancellationToken.None));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains("layer 1 of 2 (blobs/sha256/", e.Message, StringComparison.Ordinal);
        Assert.Contains("the uncompressed layer hashes to", e.Message, StringComparison.Ordinal);
    }
}
