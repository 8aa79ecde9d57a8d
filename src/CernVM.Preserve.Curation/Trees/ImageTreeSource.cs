using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Curation.Trees;

/// <summary>What a container image says about itself (recorded in the manifest's os component).</summary>
public sealed record ImageDescription(
    string Format,
    string? Reference,
    string? ManifestDigest,
    string ConfigDigest,
    string? Architecture,
    string? Os,
    string? Created,
    IReadOnlyList<string> Layers);

/// <summary>
/// A root file system given as a container image archive: a <c>docker save</c> tarball (manifest.json,
/// a config, layer tars) or an OCI image layout, as a directory or a tar (oci-layout, index.json →
/// manifest → config and layers). Every blob is checked against its digest (OCI: the layer blob's digest;
/// both forms: the config's <c>rootfs.diff_ids</c>, the digests of the uncompressed layers) before anything
/// of it is used. Layers (tar, tar+gzip, tar+zstd) are applied in order as the OCI image specification's
/// "Applying changesets" says: <c>.wh.NAME</c> deletes NAME of the layers below, <c>.wh..wh..opq</c> makes
/// its directory opaque (everything the layers below held in it is gone), a non-directory replaces a
/// directory with everything in it.
/// </summary>
public sealed class ImageTreeSource : TarBackedTreeSource
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    private readonly string _path;
    private readonly List<string> _temporaryFiles = [];
    private LocalTar? _outer;
    private IImageFiles? _files;
    private List<(string Tar, string Name)>? _layerTars;

    public ImageTreeSource(string path, IReadOnlyList<string>? exclusions = null)
        : base(exclusions)
    {
        _path = Path.GetFullPath(path);
    }

    /// <summary>An image tarball already opened by the caller (<see cref="Probe"/>); this source owns it from now on.</summary>
    public ImageTreeSource(LocalTar outer, IReadOnlyList<string>? exclusions = null)
        : base(exclusions)
    {
        _path = outer.Source;
        _outer = outer;
    }

    public override string Description => _path;

    /// <summary>The image's identity and configuration, after a walk.</summary>
    public ImageDescription? Image { get; private set; }

    /// <summary>Whether a directory is an OCI image layout, or a tar's member names make it an image archive.</summary>
    public static bool IsImageLayout(string directory) => File.Exists(Path.Combine(directory, "oci-layout"));

    /// <inheritdoc cref="IsImageLayout(string)"/>
    public static bool IsImageArchive(IReadOnlySet<string> members) =>
        (members.Contains("oci-layout") && members.Contains("index.json")) || (members.Contains("manifest.json") && (members.Contains("repositories") || members.Any(m => m.EndsWith("/layer.tar", StringComparison.Ordinal) || m.StartsWith("blobs/sha256/", StringComparison.Ordinal))));

    private protected override void Populate(Dictionary<byte[], TarMember> entries, CancellationToken cancellationToken)
    {
        if (_files is null)
        {
            if (Directory.Exists(_path))
            {
                _files = new DirectoryImageFiles(_path);
            }
            else
            {
                _outer ??= LocalTar.Open(_path, cancellationToken);
                _files = new TarImageFiles(_outer.Path, _path);
            }
        }

        if (_layerTars is null)
        {
            (ImageDescription image, List<(string Blob, string MediaType, string? Digest)> layers, List<string> diffIds) = _files.Exists("oci-layout") && _files.Exists("index.json")
                ? ReadOci(_files)
                : ReadDockerArchive(_files);
            if (diffIds.Count != layers.Count)
            {
                throw new PreserveException(FailureKind.Integrity, $"{_path}: the image config lists {diffIds.Count} layer digests (rootfs.diff_ids) for {layers.Count} layers.");
            }

            // Every layer is checked before any is applied: a damaged image gives no tree at all.
            var tars = new List<(string Tar, string Name)>();
            for (int i = 0; i < layers.Count; i++)
            {
                (string blob, string mediaType, string? digest) = layers[i];
                string name = $"{_path}: layer {i + 1} of {layers.Count} ({blob})";
                tars.Add((UnpackLayer(_files, blob, mediaType, digest, diffIds[i], name, cancellationToken), name));
            }

            _layerTars = tars;
            Image = image;
        }

        foreach ((string tar, string name) in _layerTars)
        {
            Apply(entries, ReadMembers(tar, name, entries, cancellationToken), name);
        }
    }

    /// <summary>Applies one layer's members onto the entries of the layers below it (OCI image-spec, layer.md).</summary>
    private void Apply(Dictionary<byte[], TarMember> entries, Dictionary<byte[], TarMember> layer, string name)
    {
        // Deletions first: whiteouts and opaque markers only ever concern the layers below.
        var deleted = new List<byte[]>();
        var opaque = new List<byte[]>();
        foreach ((byte[] path, TarMember e) in layer)
        {
            int slash = path.AsSpan().LastIndexOf((byte)'/');
            byte[] dir = slash < 0 ? [] : path[..slash];
            string file = System.Text.Encoding.UTF8.GetString(path.AsSpan(slash + 1));
            if (file == OpaqueMarker)
            {
                opaque.Add(dir);
            }
            else if (file.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                string victim = file[WhiteoutPrefix.Length..];
                if (victim.Length == 0 || victim is "." or "..")
                {
                    throw new PreserveException(FailureKind.Usage, $"{name}: whiteout '{e.DisplayPath}' names no entry.");
                }

                deleted.Add(dir.Length == 0 ? System.Text.Encoding.UTF8.GetBytes(victim) : PathBytes.Join(dir, System.Text.Encoding.UTF8.GetBytes(victim)));
            }
            else if (e.Kind != EntryKind.Directory)
            {
                // A non-directory replaces a directory of the layers below, with everything in it.
                opaque.Add(path);
            }
        }

        if (deleted.Count > 0 || opaque.Count > 0)
        {
            var gone = new HashSet<byte[]>(deleted, PathBytes.EqualityComparer);
            var emptied = new HashSet<byte[]>(opaque, PathBytes.EqualityComparer);
            foreach (byte[] path in entries.Keys.ToList())
            {
                // A deleted entry's content stays reachable: a hard link of a later layer or below may still name it.
                if (path.Length > 0 && (gone.Contains(path) || AncestorIn(path, gone) || AncestorIn(path, emptied)))
                {
                    entries.Remove(path);
                }
            }
        }

        foreach ((byte[] path, TarMember e) in layer)
        {
            string file = System.Text.Encoding.UTF8.GetString(path.AsSpan(path.AsSpan().LastIndexOf((byte)'/') + 1));
            if (!file.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                entries[path] = e;
            }
        }
    }

    private static bool AncestorIn(byte[] path, HashSet<byte[]> set)
    {
        if (set.Contains([]))
        {
            return true;
        }

        for (int slash = path.AsSpan().LastIndexOf((byte)'/'); slash > 0; slash = path.AsSpan(0, slash).LastIndexOf((byte)'/'))
        {
            if (set.Contains(path[..slash]))
            {
                return true;
            }
        }

        return false;
    }

    private (ImageDescription, List<(string, string, string?)>, List<string>) ReadOci(IImageFiles files)
    {
        JsonNode index = ReadJson(files, "index.json");
        string? reference = null;
        JsonNode descriptor = SingleManifest(index, "index.json", ref reference);
        string manifestDigest = Required(descriptor, "digest", "index.json");
        JsonNode manifest = ReadBlobJson(files, manifestDigest, "manifest");

        // An image index (multi-platform) points on to the manifests of each platform: take linux/amd64 or the only one.
        for (int depth = 0; (string?)manifest["mediaType"] == "application/vnd.oci.image.index.v1+json" || manifest["manifests"] is JsonArray; depth++)
        {
            if (depth > 4)
            {
                throw new PreserveException(FailureKind.Usage, $"{_path}: image indexes nest too deep.");
            }

            descriptor = SingleManifest(manifest, manifestDigest, ref reference);
            manifestDigest = Required(descriptor, "digest", manifestDigest);
            manifest = ReadBlobJson(files, manifestDigest, "manifest");
        }

        string configDigest = Required(manifest["config"], "digest", manifestDigest);
        JsonNode config = ReadBlobJson(files, configDigest, "config");
        var layers = new List<(string, string, string?)>();
        foreach (JsonNode? l in manifest["layers"]?.AsArray() ?? throw new PreserveException(FailureKind.Usage, $"{_path}: manifest {manifestDigest} has no layers."))
        {
            string digest = Required(l, "digest", manifestDigest);
            layers.Add((BlobPath(digest), (string?)l?["mediaType"] ?? "application/vnd.oci.image.layer.v1.tar", digest));
        }

        return (Describe("oci", reference, manifestDigest, configDigest, config, layers.Select(l => l.Item3!).ToList()), layers, DiffIds(config));
    }

    private (ImageDescription, List<(string, string, string?)>, List<string>) ReadDockerArchive(IImageFiles files)
    {
        JsonNode root = ReadJson(files, "manifest.json");
        if (root is not JsonArray images || images.Count == 0)
        {
            throw new PreserveException(FailureKind.Usage, $"{_path}: manifest.json lists no image.");
        }

        if (images.Count > 1)
        {
            throw new PreserveException(FailureKind.Usage, $"{_path}: the archive holds {images.Count} images ({string.Join(", ", images.Select(i => i?["RepoTags"]?[0]?.ToString() ?? "untagged"))}); save one image per archive.");
        }

        JsonNode image = images[0]!;
        string configPath = Required(image, "Config", "manifest.json");
        byte[] configBytes = ReadAll(files, configPath, "config");
        string configDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(configBytes));

        // docker save names the config after its digest (older: "<hex>.json", newer: "blobs/sha256/<hex>").
        string configName = Path.GetFileNameWithoutExtension(configPath);
        if (configName.Length == 64 && configName.All(char.IsAsciiHexDigitLower) && configDigest != "sha256:" + configName)
        {
            throw new PreserveException(FailureKind.Integrity, $"{_path}: config {configPath} does not match its name: its content hashes to {configDigest}.");
        }

        JsonNode config = ParseJson(configBytes, configPath);
        var layers = new List<(string, string, string?)>();
        foreach (JsonNode? l in image["Layers"]?.AsArray() ?? [])
        {
            string layer = (string?)l ?? throw new PreserveException(FailureKind.Usage, $"{_path}: manifest.json has a layer that is not a path.");
            layers.Add((layer, "docker-layer", null));
        }

        // A docker save archive names its layers by path; they are identified by their uncompressed digests.
        string? reference = image["RepoTags"] is JsonArray tags && tags.Count > 0 ? (string?)tags[0] : null;
        List<string> diffIds = DiffIds(config);
        return (Describe("docker-archive", reference, null, configDigest, config, diffIds), layers, diffIds);
    }

    private static ImageDescription Describe(string format, string? reference, string? manifestDigest, string configDigest, JsonNode config, List<string> layers) =>
        new(format, reference, manifestDigest, configDigest, (string?)config["architecture"], (string?)config["os"], config["created"]?.ToString(), layers);

    private List<string> DiffIds(JsonNode config) =>
        (config["rootfs"]?["diff_ids"] as JsonArray)?.Select(d => (string?)d ?? "").ToList()
        ?? throw new PreserveException(FailureKind.Usage, $"{_path}: the image config has no rootfs.diff_ids.");

    private JsonNode SingleManifest(JsonNode index, string where, ref string? reference)
    {
        List<JsonNode> manifests = index["manifests"]?.AsArray().Where(m => m is not null).Select(m => m!).ToList() ?? [];
        if (manifests.Count == 0)
        {
            throw new PreserveException(FailureKind.Usage, $"{_path}: {where} lists no manifest.");
        }

        if (manifests.Count == 1)
        {
            reference ??= (string?)manifests[0]["annotations"]?["org.opencontainers.image.ref.name"];
            return manifests[0];
        }

        JsonNode? amd64 = manifests.FirstOrDefault(m => (string?)m["platform"]?["architecture"] == "amd64" && (string?)m["platform"]?["os"] == "linux");
        if (amd64 is not null)
        {
            return amd64;
        }

        throw new PreserveException(FailureKind.Usage, $"{_path}: {where} lists {manifests.Count} manifests ({string.Join(", ", manifests.Select(m => (string?)m["annotations"]?["org.opencontainers.image.ref.name"] ?? (string?)m["digest"]))}); make a layout with one image (skopeo copy oci:DIR:TAG oci:NEW:TAG).");
    }

    /// <summary>Makes one layer an uncompressed tar in a temporary file, verifying its digests on the way.</summary>
    private string UnpackLayer(IImageFiles files, string blob, string mediaType, string? digest, string diffId, string name, CancellationToken cancellationToken)
    {
        if (!files.Exists(blob))
        {
            throw new PreserveException(FailureKind.Integrity, $"{name} is missing from the image.");
        }

        string temp = Path.Combine(Path.GetTempPath(), $"cvmpreserve-layer-{Guid.NewGuid():N}.tar");
        _temporaryFiles.Add(temp);
        using var blobHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (Stream input = files.Open(blob))
        using (FileStream output = File.Create(temp))
        {
            byte[] head = new byte[8];
            int n = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            string? compression = Compression.Detect(head.AsSpan(0, n));
            if (compression is null && (mediaType.EndsWith("+gzip", StringComparison.Ordinal) || mediaType.EndsWith("+zstd", StringComparison.Ordinal)))
            {
                throw new PreserveException(FailureKind.Integrity, $"{name}: its media type is {mediaType}, but it is not compressed that way.");
            }

            input.Position = 0;
            if (compression is null)
            {
                byte[] buffer = new byte[1 << 16];
                int r;
                while ((r = input.Read(buffer)) > 0)
                {
                    blobHash.AppendData(buffer, 0, r);
                    output.Write(buffer, 0, r);
                }
            }
            else
            {
                try
                {
                    string temporary = Path.GetTempPath();
                    long compressed = input.Length;
                    string format = compression;
                    Func<long, PreserveException> tooLarge = room => LocalTar.TooLarge(name, format, compressed, room, temporary);
                    Compression.Decompress(compression, input, output, name, null, blobHash, (Compression.TemporarySpace(temporary), tooLarge), cancellationToken);
                }
                catch (PreserveException e) when (e.Kind == FailureKind.Usage && digest is not null && !Matches(blobHash, digest, out _))
                {
                    // A damaged blob often fails to decompress: say what is wrong with it.
                    throw new PreserveException(FailureKind.Integrity, $"{name} does not match its digest {digest} (and does not decompress).", e);
                }
            }
        }

        if (digest is not null && !Matches(blobHash, digest, out string actual))
        {
            throw new PreserveException(FailureKind.Integrity, $"{name} does not match its digest {digest}: its content hashes to {actual}. The image is damaged; nothing was captured.");
        }

        using (FileStream check = File.OpenRead(temp))
        {
            string uncompressed = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(check));
            if (!string.Equals(uncompressed, diffId, StringComparison.Ordinal))
            {
                throw new PreserveException(FailureKind.Integrity, $"{name}: the uncompressed layer hashes to {uncompressed}, the image config says {diffId}. The image is damaged; nothing was captured.");
            }
        }

        return temp;
    }

    private static bool Matches(IncrementalHash hash, string digest, out string actual)
    {
        actual = "sha256:" + Convert.ToHexStringLower(hash.GetCurrentHash());
        return string.Equals(actual, digest, StringComparison.Ordinal);
    }

    private JsonNode ReadBlobJson(IImageFiles files, string digest, string what)
    {
        string path = BlobPath(digest);
        byte[] bytes = ReadAll(files, path, what);
        string actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != digest)
        {
            throw new PreserveException(FailureKind.Integrity, $"{_path}: {what} {path} does not match its digest {digest}: its content hashes to {actual}.");
        }

        return ParseJson(bytes, path);
    }

    private string BlobPath(string digest)
    {
        if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71 || !digest[7..].All(char.IsAsciiHexDigitLower))
        {
            throw new PreserveException(FailureKind.Usage, $"{_path}: digest '{digest}' is not a sha256 digest (the only algorithm read).");
        }

        return "blobs/sha256/" + digest[7..];
    }

    private JsonNode ReadJson(IImageFiles files, string path) => ParseJson(ReadAll(files, path, path), path);

    private byte[] ReadAll(IImageFiles files, string path, string what)
    {
        if (!files.Exists(path))
        {
            throw new PreserveException(FailureKind.Usage, $"{_path}: the image has no {what} '{path}'.");
        }

        using Stream s = files.Open(path);
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private JsonNode ParseJson(byte[] bytes, string path)
    {
        // JSON is UTF-8 (RFC 8259 §8.1). System.Text.Json checks a string's bytes only when it is read, and
        // then throws InvalidOperationException: found by fuzzing (docs/security.md), so checked here, once.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new PreserveException(FailureKind.Usage, $"{_path}: {path} is not valid JSON (it is not UTF-8 text).");
        }

        try
        {
            return JsonNode.Parse(bytes) ?? throw new PreserveException(FailureKind.Usage, $"{_path}: {path} is JSON null.");
        }
        catch (JsonException e)
        {
            throw new PreserveException(FailureKind.Usage, $"{_path}: {path} is not valid JSON ({e.Message}).", e);
        }
    }

    private string Required(JsonNode? node, string member, string where) =>
        (string?)node?[member] ?? throw new PreserveException(FailureKind.Usage, $"{_path}: {where} has no '{member}'.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (string f in _temporaryFiles)
            {
                File.Delete(f);
            }

            _outer?.Dispose();
        }
    }

    /// <summary>The files of an image: in a directory, or members of a tar read in place.</summary>
    private interface IImageFiles
    {
        bool Exists(string path);

        Stream Open(string path);
    }

    private sealed class DirectoryImageFiles(string root) : IImageFiles
    {
        public bool Exists(string path) => File.Exists(Full(path));

        public Stream Open(string path) => File.OpenRead(Full(path));

        private string Full(string path)
        {
            byte[] p = TarBackedTreeSource.Normalise(path);
            if (p.Length == 0 || !PathBytes.IsSafeRelative(p))
            {
                throw new PreserveException(FailureKind.Usage, $"{root}: '{path}' leaves the image layout.");
            }

            return Path.Combine(root, System.Text.Encoding.UTF8.GetString(p));
        }
    }

    private sealed class TarImageFiles : IImageFiles
    {
        private readonly string _tar;
        private readonly Dictionary<string, (long Offset, long Length)> _files = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _symlinks = new(StringComparer.Ordinal);

        public TarImageFiles(string tar, string source)
        {
            _tar = tar;
            try
            {
                using FileStream file = File.OpenRead(tar);
                using var reader = new TarReader(file);
                long end = 0;
                while (NextEntry(reader, file, ref end, source) is TarEntry t)
                {
                    string name = System.Text.Encoding.UTF8.GetString(Normalise(t.Name));
                    if (t.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)
                    {
                        _files[name] = (t.DataOffset, t.Length);
                    }
                    else if (t.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                    {
                        // Older docker save archives link layer.tar files to each other.
                        string dir = t.EntryType == TarEntryType.HardLink ? "" : Path.GetDirectoryName(name) ?? "";
                        _symlinks[name] = Path.GetRelativePath("/", Path.GetFullPath(t.LinkName, "/" + dir)).Replace('\\', '/');
                    }
                }
            }
            catch (InvalidDataException e)
            {
                throw new PreserveException(FailureKind.Usage, $"{source}: not a valid tar archive ({e.Message}).", e);
            }
        }

        public bool Exists(string path) => _files.ContainsKey(Resolve(path));

        public Stream Open(string path)
        {
            (long offset, long length) = _files[Resolve(path)];
            var stream = new FileStream(_tar, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return new StreamWindow(stream, offset, length, ownsInner: true);
        }

        private string Resolve(string path)
        {
            string p = System.Text.Encoding.UTF8.GetString(Normalise(path));
            for (int hops = 0; hops < 8 && _symlinks.TryGetValue(p, out string? target); hops++)
            {
                p = target;
            }

            return p;
        }
    }
}
