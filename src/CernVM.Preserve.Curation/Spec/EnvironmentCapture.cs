using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Cvmfs;
using CernVM.Preserve.Curation.Packages;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Curation.Spec;

/// <summary>A scratch directory removed when the capture is over.</summary>
internal sealed class ScratchDirectory(string path) : IDisposable
{
    public void Dispose()
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory.
        }
    }
}

/// <summary>What a spec turns into before the snapshot: the composed tree, the manifest components, and warnings.</summary>
public sealed record PreparedCapture(ITreeSource Tree, JsonObject Components, List<CaptureWarning> Warnings, IReadOnlyList<IDisposable> Resources);

/// <summary>
/// Turns a curator's spec into what a snapshot needs (DESIGN §5, FORMAT.md §5.3): the OS root with its
/// software layers and CernVM-FS revisions mounted where they ran, and the components the manifest
/// records — OS identity and package pin, software, CernVM-FS revisions with their signed artefacts kept
/// as blobs, boot files, run entries with their reference outputs.
/// </summary>
public sealed class EnvironmentCapture(Archive archive)
{
    public async Task<PreparedCapture> PrepareAsync(CapsuleSpec spec, IReadOnlyList<string> excludeAbsolute, CancellationToken cancellationToken)
    {
        var warnings = new List<CaptureWarning>();
        var resources = new List<IDisposable>();
        var components = new JsonObject();

        string rootfs = spec.Resolve(spec.Os.Rootfs);
        ITreeSource? baseTree = null;
        TarBackedTreeSource? archived = null;
        if (Directory.Exists(rootfs) && ImageTreeSource.IsImageLayout(rootfs))
        {
            archived = new ImageTreeSource(rootfs, spec.Os.Exclude ?? []);
        }
        else if (Directory.Exists(rootfs))
        {
            baseTree = new DirectoryTreeSource(rootfs, spec.Os.Exclude ?? [], excludeAbsolute);
        }
        else if (File.Exists(rootfs))
        {
            // A tarball is a root file system, unless its members make it a container image archive.
            LocalTar tar = LocalTar.Open(rootfs, cancellationToken);
            archived = ImageTreeSource.IsImageArchive(tar.MemberNames()) ? new ImageTreeSource(tar, spec.Os.Exclude ?? []) : new TarTreeSource(tar, spec.Os.Exclude ?? []);
        }
        else
        {
            throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: os.rootfs '{spec.Os.Rootfs}' ({rootfs}) does not exist.");
        }

        if (archived is not null)
        {
            // The files that describe the OS and its boot are unpacked into a scratch directory to be read.
            resources.Add(archived);
            archived.Walk(cancellationToken);
            string probe = Directory.CreateTempSubdirectory("cvmpreserve-probe-").FullName;
            resources.Add(new ScratchDirectory(probe));
            var inner = new HashSet<string>(StringComparer.Ordinal);
            foreach (string? q in new[] { spec.Boot?.Kernel, spec.Boot?.Initrd, spec.Boot?.BootloaderConfig }.Concat(spec.Run.SelectMany(r => (r.Outputs ?? []).Select(o => o.Reference))))
            {
                if (q is not null && q.StartsWith('/'))
                {
                    inner.Add(q.TrimStart('/'));
                }
            }

            string[] prefixes = ["etc/", "var/lib/rpm/", "usr/lib/sysimage/rpm/", "bin/", "usr/bin/", "boot/"];
            archived.ExtractTo(probe, p => inner.Contains(p) || p == "var/lib/dpkg/status" || prefixes.Any(x => p.StartsWith(x, StringComparison.Ordinal)));
            rootfs = probe;
        }

        components["curation"] = new JsonObject
        {
            ["experiment"] = spec.Experiment,
            ["creators"] = JsonSerializer.SerializeToNode(spec.Creators, CapsuleSpec.JsonOptions),
            ["licence"] = spec.Licence,
            ["dphepLevel"] = spec.DphepLevel,
            ["spec"] = await StoreFileAsync(spec.SpecFile, cancellationToken),
        };
        components["os"] = await DescribeOsAsync(spec, rootfs, warnings, cancellationToken);
        if (archived is ImageTreeSource { Image: ImageDescription image })
        {
            components["os"]!["image"] = new JsonObject
            {
                ["format"] = image.Format,
                ["reference"] = image.Reference,
                ["manifestDigest"] = image.ManifestDigest,
                ["configDigest"] = image.ConfigDigest,
                ["architecture"] = image.Architecture,
                ["os"] = image.Os,
                ["created"] = image.Created,
                ["layers"] = new JsonArray(image.Layers.Select(l => (JsonNode)l).ToArray()),
            };
        }

        var layers = new List<TreeLayer>();
        var software = new JsonArray();
        foreach (SoftwareSpec s in spec.Software)
        {
            string source = spec.Resolve(s.Source);
            if (!Directory.Exists(source))
            {
                throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: software '{s.Name}': source '{s.Source}' ({source}) is not a directory.");
            }

            layers.Add(new TreeLayer(s.MountPoint, new DirectoryTreeSource(source, []), $"software {s.Name}"));
            software.Add(new JsonObject { ["name"] = s.Name, ["version"] = s.Version, ["mountPoint"] = s.MountPoint, ["source"] = s.Source });
        }

        var cvmfs = new JsonArray();
        foreach (CvmfsSpec c in spec.Cvmfs)
        {
            (TreeLayer layer, JsonObject description) = await OpenCvmfsAsync(spec, c, resources, warnings, cancellationToken);
            layers.Add(layer);
            cvmfs.Add(description);
        }

        if (spec.Software.Count > 0)
        {
            components["software"] = software;
        }

        if (spec.Cvmfs.Count > 0)
        {
            components["cvmfs"] = cvmfs;
        }

        if (spec.Boot is not null)
        {
            components["boot"] = await DescribeBootAsync(spec, spec.Boot, rootfs, cancellationToken);
        }

        if (spec.Run.Count > 0)
        {
            components["run"] = await DescribeRunAsync(spec, rootfs, cancellationToken);
        }

        var tree = new CompositeTreeSource(baseTree ?? archived!, layers);
        return new PreparedCapture(tree, components, warnings, resources);
    }

    private async Task<JsonObject> DescribeOsAsync(CapsuleSpec spec, string rootfs, List<CaptureWarning> warnings, CancellationToken cancellationToken)
    {
        var os = new JsonObject { ["rootfs"] = spec.Os.Rootfs };
        foreach (string release in new[] { "etc/redhat-release", "etc/sl-release", "etc/centos-release", "etc/debian_version" })
        {
            string file = Path.Combine(rootfs, release);
            if (File.Exists(file) && new FileInfo(file).LinkTarget is null)
            {
                os["release"] = File.ReadAllText(file).Trim();
                os["releaseFile"] = "/" + release;
                break;
            }
        }

        string osRelease = Path.Combine(rootfs, "etc/os-release");
        if (File.Exists(osRelease) && new FileInfo(osRelease).LinkTarget is null)
        {
            var fields = File.ReadAllLines(osRelease).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim('"'));
            os["osRelease"] = new JsonObject
            {
                ["id"] = fields.GetValueOrDefault("ID"),
                ["versionId"] = fields.GetValueOrDefault("VERSION_ID"),
                ["prettyName"] = fields.GetValueOrDefault("PRETTY_NAME"),
            };
        }

        os["architecture"] = ElfArchitecture(rootfs, "bin/sh") ?? ElfArchitecture(rootfs, "bin/busybox");

        PackageDatabase db;
        try
        {
            db = PackageDatabaseDetector.Read(rootfs);
        }
        catch (PackageDatabaseException e)
        {
            warnings.Add(new CaptureWarning("CAP010", null, $"no package database read: {e.Message}"));
            if (spec.Os.Metapackage is not null)
            {
                throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: os.metapackage '{spec.Os.Metapackage}' is named, but the tree's package database cannot be read: {e.Message}", e);
            }

            return os;
        }

        // The full package list is a blob (canonical JSON); the manifest keeps its id, its format and count.
        var list = new JsonArray(db.Packages.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name,
            ["epoch"] = p.Epoch,
            ["version"] = p.Version,
            ["release"] = p.Release,
            ["arch"] = p.Architecture,
            ["size"] = p.Size,
            ["installTime"] = p.InstallTime?.ToUnixTimeSeconds(),
            ["headerSha256"] = p.HeaderSha256,
        }).ToArray());
        (BlobId listId, _) = await archive.Blobs.PutAsync(CanonicalJson.Serialize(list), cancellationToken);
        os["packages"] = new JsonObject
        {
            ["format"] = db.Format.ToString(),
            ["database"] = "/" + Path.GetRelativePath(rootfs, db.Path),
            ["count"] = db.Packages.Count,
            ["list"] = listId.ToString(),
        };

        if (spec.Os.Metapackage is string meta)
        {
            PinReport pin;
            try
            {
                pin = PinCheck.Evaluate(db, meta);
            }
            catch (PackageDatabaseException e)
            {
                throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: os.metapackage: {e.Message}", e);
            }

            os["pin"] = new JsonObject
            {
                ["metapackage"] = pin.Metapackage.Name,
                ["version"] = pin.Metapackage.EpochVersionRelease,
                ["consistent"] = pin.IsConsistent,
                ["satisfied"] = pin.Satisfied.Count,
                ["deviations"] = new JsonArray(pin.Deviations.Select(d => (JsonNode)new JsonObject
                {
                    ["package"] = d.Requirement.Name,
                    ["expected"] = d.Expected,
                    ["installed"] = new JsonArray(d.Actual.Select(a => (JsonNode)a.EpochVersionRelease).ToArray()),
                }).ToArray()),
                ["missing"] = new JsonArray(pin.Missing.Select(m => (JsonNode)$"{m.Name} = {m.Version}").ToArray()),
            };
            foreach (PinDeviation d in pin.Deviations)
            {
                warnings.Add(new CaptureWarning("CAP011", null, $"{meta} pins {d.Requirement.Name} = {d.Expected}, installed: {string.Join(", ", d.Actual.Select(a => a.EpochVersionRelease))}"));
            }

            foreach (PackageRequirement m in pin.Missing)
            {
                warnings.Add(new CaptureWarning("CAP012", null, $"{meta} pins {m.Name} = {m.Version}, which is not installed"));
            }
        }

        return os;
    }

    private async Task<(TreeLayer, JsonObject)> OpenCvmfsAsync(CapsuleSpec spec, CvmfsSpec c, List<IDisposable> resources, List<CaptureWarning> warnings, CancellationToken cancellationToken)
    {
        ICvmfsObjectSource source;
        if (Uri.TryCreate(c.Repository, UriKind.Absolute, out Uri? url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            var http = new HttpCvmfsSource(url);
            resources.Add(http);
            source = http;
        }
        else
        {
            source = new FileSystemCvmfsSource(spec.Resolve(c.Repository));
        }

        CvmfsSelector selector = c.RootHash is string h ? CvmfsSelector.ForRootHash(ContentHash.Parse(h, 'C'))
            : c.Tag is string tag ? CvmfsSelector.ForTag(tag)
            : c.Revision is long rev ? CvmfsSelector.ForRevision(rev)
            : CvmfsSelector.Current;
        CvmfsRepository repo;
        RepositoryVerification verification;
        try
        {
            repo = await CvmfsRepository.OpenAsync(source, selector, cancellationToken);
            resources.Add(repo);
            using System.Security.Cryptography.RSA? master = c.PublicKey is string key ? LoadKey(spec.Resolve(key)) : null;
            verification = await repo.VerifyAsync(master, DateTimeOffset.UtcNow, cancellationToken);
        }
        catch (Exception e) when (e is CvmfsIntegrityException or CvmfsFormatException or CvmfsSourceException)
        {
            throw new PreserveException(e is CvmfsSourceException ? FailureKind.Environment : FailureKind.Integrity, $"CernVM-FS repository {c.Repository}: {e.Message}", e);
        }

        string fqrn = c.Fqrn ?? verification.RepositoryName ?? "repository";
        string mount = c.MountPoint ?? "/cvmfs/" + fqrn;
        foreach (string w in verification.Warnings)
        {
            warnings.Add(new CaptureWarning("CAP020", mount.TrimStart('/'), $"{fqrn}: {w}"));
        }

        // The revision's own signed artefacts are kept, so it can be exported and mounted again.
        var artefacts = new JsonObject();
        foreach (string file in new[] { ".cvmfspublished", ".cvmfswhitelist" })
        {
            byte[]? bytes = await source.TryFetchFileAsync(file, cancellationToken);
            if (bytes is not null)
            {
                artefacts[file] = (await archive.Blobs.PutAsync(bytes, cancellationToken)).Id.ToString();
            }
        }

        var objects = new JsonObject();
        foreach (ContentHash hash in await repo.ListClosureAsync(cancellationToken))
        {
            if (hash.Suffix is 'C' or 'X' or 'H' or 'M')
            {
                byte[] raw = await source.FetchObjectAsync(hash, cancellationToken);
                objects[hash.ObjectPath] = (await archive.Blobs.PutAsync(raw, cancellationToken)).Id.ToString();
            }
        }

        artefacts["objects"] = objects;
        var description = new JsonObject
        {
            ["repository"] = c.Repository,
            ["fqrn"] = fqrn,
            ["mountPoint"] = mount,
            ["revision"] = repo.Revision,
            ["rootHash"] = repo.RootHash.ToString(),
            ["tag"] = c.Tag,
            ["published"] = verification.PublishTime is DateTimeOffset t ? ArchiveTime.Format(t) : null,
            ["certificateFingerprint"] = verification.CertificateFingerprint.ToString(),
            ["whitelistExpires"] = ArchiveTime.Format(verification.WhitelistExpiry),
            ["shrinkwrapSpec"] = c.ShrinkwrapSpec,
            ["artefacts"] = artefacts,
        };
        ShrinkwrapSpec? shrinkwrap = c.ShrinkwrapSpec is string sw ? ShrinkwrapSpec.Parse(File.ReadAllText(spec.Resolve(sw)), sw) : null;
        return (new TreeLayer(mount, new CvmfsTreeSource(repo, $"{fqrn} revision {repo.Revision}", shrinkwrap), $"cvmfs {fqrn}"), description);
    }

    private async Task<JsonObject> DescribeBootAsync(CapsuleSpec spec, BootSpec boot, string rootfs, CancellationToken cancellationToken)
    {
        var o = new JsonObject { ["cmdline"] = boot.Cmdline };
        foreach ((string name, string? path) in new[] { ("kernel", boot.Kernel), ("initrd", boot.Initrd), ("bootloaderConfig", boot.BootloaderConfig) })
        {
            if (path is null)
            {
                continue;
            }

            // A path starting with '/' is inside the captured tree; any other is a file of the curator's, stored as a blob.
            string file = path.StartsWith('/') ? Path.Combine(rootfs, path.TrimStart('/')) : spec.Resolve(path);
            if (!File.Exists(file))
            {
                throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: boot.{name} '{path}' ({file}) does not exist.");
            }

            var part = new JsonObject { ["path"] = path, ["blob"] = await StoreFileAsync(file, cancellationToken) };
            if (name == "kernel" && KernelVersion(file) is string version)
            {
                part["version"] = version;
            }

            o[name] = part;
        }

        return o;
    }

    private async Task<JsonArray> DescribeRunAsync(CapsuleSpec spec, string rootfs, CancellationToken cancellationToken)
    {
        var runs = new JsonArray();
        foreach (RunSpec r in spec.Run)
        {
            JsonObject entry = JsonSerializer.SerializeToNode(r, CapsuleSpec.JsonOptions)!.AsObject();
            var outputs = new JsonArray();
            foreach (OutputSpec o in r.Outputs ?? [])
            {
                // A reference inside the tree is found there; one outside is kept as a blob.
                string file = o.Reference.StartsWith('/') ? Path.Combine(rootfs, o.Reference.TrimStart('/')) : spec.Resolve(o.Reference);
                if (!File.Exists(file))
                {
                    throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: run '{r.Name}': reference output '{o.Reference}' ({file}) does not exist.");
                }

                outputs.Add(new JsonObject
                {
                    ["path"] = o.Path,
                    ["reference"] = o.Reference,
                    ["referenceBlob"] = await StoreFileAsync(file, cancellationToken),
                    ["compare"] = o.Compare?.DeepClone() ?? "exact",
                });
            }

            entry["outputs"] = outputs;
            runs.Add(entry);
        }

        return runs;
    }

    private async Task<string> StoreFileAsync(string path, CancellationToken cancellationToken) =>
        (await archive.Blobs.PutAsync(await File.ReadAllBytesAsync(path, cancellationToken), cancellationToken)).Id.ToString();

    private static RSA LoadKey(string path)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        return rsa;
    }

    /// <summary>The architecture from the ELF header of a file of the tree, following a symlink inside the tree.</summary>
    private static string? ElfArchitecture(string rootfs, string relative)
    {
        string path = Path.Combine(rootfs, relative);
        for (int hops = 0; hops < 8; hops++)
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not string target)
            {
                break;
            }

            path = target.StartsWith('/') ? Path.Combine(rootfs, target.TrimStart('/')) : Path.Combine(Path.GetDirectoryName(path)!, target);
        }

        if (!File.Exists(path))
        {
            return null;
        }

        Span<byte> h = stackalloc byte[20];
        using FileStream f = File.OpenRead(path);
        if (f.Read(h) < 20 || h[0] != 0x7F || h[1] != 'E' || h[2] != 'L' || h[3] != 'F')
        {
            return null;
        }

        ushort machine = h[5] == 1 ? (ushort)(h[18] | (h[19] << 8)) : (ushort)((h[18] << 8) | h[19]);
        return machine switch
        {
            3 => "i386",
            62 => "x86_64",
            183 => "aarch64",
            40 => "arm",
            20 => "ppc",
            21 => "ppc64",
            22 => "s390",
            _ => $"elf-machine-{machine}",
        };
    }

    /// <summary>The version string of an x86 bzImage (boot protocol: "HdrS" at 0x202, kernel_version at 0x20E + 0x200).</summary>
    private static string? KernelVersion(string path)
    {
        byte[] head = new byte[64 * 1024];
        int n;
        using (FileStream f = File.OpenRead(path))
        {
            n = f.Read(head);
        }

        if (n < 0x210 || head[0x202] != 'H' || head[0x203] != 'd' || head[0x204] != 'r' || head[0x205] != 'S')
        {
            return null;
        }

        int offset = (head[0x20E] | (head[0x20F] << 8)) + 0x200;
        if (offset <= 0 || offset >= n)
        {
            return null;
        }

        int end = Array.IndexOf(head, (byte)0, offset);
        return end < 0 ? null : System.Text.Encoding.ASCII.GetString(head, offset, end - offset);
    }
}
