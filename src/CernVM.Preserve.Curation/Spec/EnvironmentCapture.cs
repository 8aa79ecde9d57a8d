using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Boot;
using CernVM.Preserve.Curation.Cvmfs;
using CernVM.Preserve.Curation.Packages;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine;
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
        var resources = new List<IDisposable>();
        try
        {
            return await PrepareAsync(spec, excludeAbsolute, resources, cancellationToken);
        }
        catch
        {
            // Scratch files (unpacked tarballs and image layers) go when the capture cannot proceed.
            foreach (IDisposable r in resources)
            {
                r.Dispose();
            }

            throw;
        }
    }

    private async Task<PreparedCapture> PrepareAsync(CapsuleSpec spec, IReadOnlyList<string> excludeAbsolute, List<IDisposable> resources, CancellationToken cancellationToken)
    {
        var warnings = new List<CaptureWarning>();
        var components = new JsonObject();

        string rootfs = spec.Resolve(spec.Os.Rootfs);
        ITreeSource rootTree = RootfsTree.Open(rootfs, spec.Os.Exclude ?? [], excludeAbsolute, spec.RootfsLabel, resources, cancellationToken);
        TarBackedTreeSource? archived = rootTree as TarBackedTreeSource;
        if (archived is not null)
        {
            // The files that describe the OS and its boot are unpacked into a scratch directory to be read.
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
            archived.ExtractTo(probe, p => inner.Contains(p) || p is "var/lib/dpkg/status" or "usr/lib/os-release" or "sbin/init" || prefixes.Any(x => p.StartsWith(x, StringComparison.Ordinal)));
            rootfs = probe;
        }

        // The quick form has no spec file to keep, nor anything else a curator says.
        if (spec.HasFile)
        {
            components["curation"] = new JsonObject
            {
                ["experiment"] = spec.Experiment,
                ["creators"] = JsonSerializer.SerializeToNode(spec.Creators, CapsuleSpec.Json.ListCreator),
                ["licence"] = spec.Licence,
                ["dphepLevel"] = spec.DphepLevel,
                ["spec"] = await StoreFileAsync(spec.SpecFile, cancellationToken),
            };
        }

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
            software.Add((JsonNode)new JsonObject { ["name"] = s.Name, ["version"] = s.Version, ["mountPoint"] = s.MountPoint, ["source"] = s.Source });
        }

        var cvmfs = new JsonArray();
        foreach (CvmfsSpec c in spec.Cvmfs)
        {
            (TreeLayer layer, JsonObject description) = await OpenCvmfsAsync(spec, c, resources, warnings, cancellationToken);
            layers.Add(layer);
            cvmfs.Add((JsonNode)description);
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
            components["boot"] = await DescribeBootAsync(spec, spec.Boot, rootfs, warnings, cancellationToken);
        }

        if (spec.Run.Count > 0)
        {
            components["run"] = await DescribeRunAsync(spec, rootfs, cancellationToken);
        }

        // Without layers the root is the tree as it is: its walk hands out entries as it goes (FORMAT.md §6).
        ITreeSource tree = layers.Count == 0 ? rootTree : new CompositeTreeSource(rootTree, layers);
        return new PreparedCapture(tree, components, warnings, resources);
    }

    private async Task<JsonObject> DescribeOsAsync(CapsuleSpec spec, string rootfs, List<CaptureWarning> warnings, CancellationToken cancellationToken)
    {
        var os = new JsonObject { ["rootfs"] = spec.Os.Rootfs };
        OsIdentity id = OsIdentity.Detect(rootfs);
        os["distribution"] = id.Distribution;
        os["version"] = id.Version;
        os["codename"] = id.Codename;
        os["release"] = id.Release;
        os["releaseFile"] = id.ReleaseFile;
        if (id.OsRelease is { } fields)
        {
            os["osRelease"] = new JsonObject
            {
                ["id"] = fields.GetValueOrDefault("ID"),
                ["versionId"] = fields.GetValueOrDefault("VERSION_ID"),
                ["prettyName"] = fields.GetValueOrDefault("PRETTY_NAME"),
            };
        }

        os["architecture"] = id.Architecture;
        os["identityFrom"] = new JsonArray(id.Sources.Select(x => (JsonNode)JsonValue.Create(x)).ToArray());
        PackageDatabase db;
        try
        {
            db = PackageDatabaseDetector.Read(rootfs);
        }
        catch (PackageDatabaseException e)
        {
            // The quick form records what it finds: a tree with neither an OS identity nor a package
            // database is plain data, not an OS root missing its parts, and gets no warning for it.
            if (spec.HasFile || id.Distribution is not null)
            {
                WarnUnknownDistribution(id, warnings);
                warnings.Add(new CaptureWarning("CAP010", null, $"no package database read: {e.Message}"));
            }

            if (spec.Os.Metapackage is not null)
            {
                throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: os.metapackage '{spec.Os.Metapackage}' is named, but the tree's package database cannot be read: {e.Message}", e);
            }

            return os;
        }

        WarnUnknownDistribution(id, warnings);

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

    private static void WarnUnknownDistribution(OsIdentity id, List<CaptureWarning> warnings)
    {
        if (id.Distribution is null)
        {
            warnings.Add(new CaptureWarning("CAP013", null, "the distribution is unknown: the tree has no os-release, *-release, lsb-release or debian_version file."));
        }
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

        // Catalogs, certificate, history and meta-info are kept as they are. File and chunk objects live in the
        // tree, uncompressed; export writes them back with the system zlib, which must give the very bytes the
        // object's name hashes. An object that zlib does not reproduce is kept as it is too.
        var objects = new JsonObject();
        int reproducible = 0;
        foreach (ContentHash hash in await repo.ListClosureAsync(cancellationToken))
        {
            byte[] raw = await source.FetchObjectAsync(hash, cancellationToken);
            if (hash.Suffix is 'C' or 'X' or 'H' or 'M' || !CvmfsCompression.IsReproducible(raw))
            {
                objects[hash.ObjectPath] = (await archive.Blobs.PutAsync(raw, cancellationToken)).Id.ToString();
            }
            else
            {
                reproducible++;
            }
        }

        artefacts["objects"] = objects;
        artefacts["objectsFromTree"] = reproducible;
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

    /// <summary>
    /// The boot component (FORMAT.md §5.3): kernel and initrd as the spec names them or, failing that, as the
    /// bootloader configuration's default entry does; each read for what it is (Boot/).
    /// </summary>
    private async Task<JsonObject> DescribeBootAsync(CapsuleSpec spec, BootSpec boot, string rootfs, List<CaptureWarning> warnings, CancellationToken cancellationToken)
    {
        var o = new JsonObject();
        BootEntry? chosen = null;
        string? configPath = boot.BootloaderConfig;
        if (configPath is not null)
        {
            string file = LocateBootFile(spec, rootfs, configPath, "bootloaderConfig");
            string grubenv = Path.Combine(Path.GetDirectoryName(file)!, "grubenv");
            Dictionary<string, string>? environment = File.Exists(grubenv) ? BootloaderConfig.ParseGrubEnvironment(File.ReadAllText(grubenv)) : null;
            BootloaderConfig config = BootloaderConfig.Parse(configPath, File.ReadAllText(file), environment);
            foreach (string w in config.Warnings)
            {
                warnings.Add(new CaptureWarning("CAP030", configPath.TrimStart('/'), w));
            }

            chosen = config.Default;
            if (chosen is null)
            {
                warnings.Add(new CaptureWarning("CAP030", configPath.TrimStart('/'), $"the {config.Format} configuration has no boot entry"));
            }

            o["bootloaderConfig"] = new JsonObject
            {
                ["path"] = configPath,
                ["blob"] = await StoreFileAsync(file, cancellationToken),
                ["format"] = config.Format,
                ["entries"] = config.Entries.Count,
                ["defaultSetting"] = config.DefaultSetting,
                ["default"] = chosen is null ? null : new JsonObject
                {
                    ["id"] = chosen.Id,
                    ["title"] = chosen.Title,
                    ["kernel"] = chosen.Kernel,
                    ["initrd"] = chosen.Initrd,
                    ["cmdline"] = chosen.Cmdline,
                    ["root"] = chosen.Root,
                },
            };
        }

        string? cmdline = boot.Cmdline ?? chosen?.Cmdline;
        o["cmdline"] = cmdline;
        o["cmdlineFrom"] = boot.Cmdline is not null ? "spec" : chosen?.Cmdline is not null ? "bootloaderConfig" : null;

        (string Path, string File, string From)? kernel = boot.Kernel is string k ? (k, LocateBootFile(spec, rootfs, k, "kernel"), "spec")
            : chosen?.Kernel is string ek ? ResolveEntryFile(rootfs, configPath, ek, "kernel", warnings) : null;
        if (kernel is (string kernelPath, string kernelFile, string kernelFrom))
        {
            KernelImageInfo info = KernelImage.Read(kernelFile, cancellationToken);
            if (info.Format == "unknown" || info.Note is not null)
            {
                warnings.Add(new CaptureWarning("CAP031", kernelPath.TrimStart('/'), $"kernel {kernelPath}: {info.Note ?? "format not recognised"}"));
            }

            o["kernel"] = new JsonObject
            {
                ["path"] = kernelPath,
                ["blob"] = await StoreFileAsync(kernelFile, cancellationToken),
                ["from"] = kernelFrom,
                ["format"] = info.Format,
                ["version"] = info.Version,
                ["release"] = info.Release,
                ["architecture"] = info.Architecture,
                ["bootProtocol"] = info.BootProtocol,
                ["compression"] = info.Compression,
            };
        }

        (string Path, string File, string From)? initrd = boot.Initrd is string i ? (i, LocateBootFile(spec, rootfs, i, "initrd"), "spec")
            : chosen?.Initrd is string ei ? ResolveEntryFile(rootfs, configPath, ei, "initrd", warnings) : null;
        if (initrd is (string initrdPath, string initrdFile, string initrdFrom))
        {
            InitrdInfo info = InitrdImage.Inspect(initrdFile, cancellationToken);
            foreach (string note in info.Notes)
            {
                warnings.Add(new CaptureWarning("CAP031", initrdPath.TrimStart('/'), $"initrd {initrdPath}: {note}"));
            }

            o["initrd"] = new JsonObject
            {
                ["path"] = initrdPath,
                ["blob"] = await StoreFileAsync(initrdFile, cancellationToken),
                ["from"] = initrdFrom,
                ["segments"] = new JsonArray(info.Segments.Select(g => (JsonNode)new JsonObject
                {
                    ["offset"] = g.Offset,
                    ["compression"] = g.Compression,
                    ["format"] = g.Format,
                    ["entries"] = g.Entries,
                    ["microcode"] = g.Microcode,
                }).ToArray()),
            };
        }

        if (cmdline is not null && KernelCommandLine.MicroCernvmArguments(cmdline) is { Count: > 0 } micro)
        {
            var m = new JsonObject();
            foreach ((string name, string? value) in micro)
            {
                m[name] = value is null ? true : JsonValue.Create(value);
            }

            o["microCernvm"] = m;
        }

        return o;
    }

    /// <summary>A boot file the spec names: '/…' inside the captured tree, anything else a file of the curator's.</summary>
    private static string LocateBootFile(CapsuleSpec spec, string rootfs, string path, string what)
    {
        string? file = path.StartsWith('/') ? TreeFiles.Resolve(rootfs, path) : spec.Resolve(path);
        if (file is null || !File.Exists(file))
        {
            throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: boot.{what} '{path}' ({file ?? Path.Combine(rootfs, path.TrimStart('/'))}) does not exist.");
        }

        return file;
    }

    /// <summary>
    /// A file the bootloader's default entry names, found in the tree. GRUB paths are relative to the
    /// partition GRUB's root is: /boot when /boot was a partition of its own (SL4/SL5's "(hd0,0)"), / when
    /// not; both are tried. extlinux paths without '/' are relative to the configuration's directory.
    /// </summary>
    private static (string, string, string)? ResolveEntryFile(string rootfs, string? configPath, string path, string what, List<CaptureWarning> warnings)
    {
        var candidates = new List<string>();
        if (!path.StartsWith('/'))
        {
            if (configPath is not null && configPath.StartsWith('/'))
            {
                candidates.Add(Path.GetDirectoryName(configPath)!.TrimEnd('/') + "/" + path);
            }

            path = "/" + path;
        }

        if (path.StartsWith("/boot/", StringComparison.Ordinal))
        {
            candidates.AddRange([path, "/boot" + path]);
        }
        else
        {
            candidates.AddRange(["/boot" + path, path]);
        }

        foreach (string c in candidates.Distinct())
        {
            if (TreeFiles.Resolve(rootfs, c) is string file && File.Exists(file))
            {
                return (c, file, "bootloaderConfig");
            }
        }

        warnings.Add(new CaptureWarning("CAP032", path.TrimStart('/'), $"the bootloader's default entry names the {what} {path}, which is not in the tree (looked at {string.Join(", ", candidates.Distinct())})"));
        return null;
    }

    private async Task<JsonArray> DescribeRunAsync(CapsuleSpec spec, string rootfs, CancellationToken cancellationToken)
    {
        var runs = new JsonArray();
        foreach (RunSpec r in spec.Run)
        {
            JsonObject entry = JsonSerializer.SerializeToNode(r, CapsuleSpec.Json.RunSpec)!.AsObject();
            var outputs = new JsonArray();
            foreach (OutputSpec o in r.Outputs ?? [])
            {
                // A reference inside the tree is found there; one outside is kept as a blob.
                string file = o.Reference.StartsWith('/') ? Path.Combine(rootfs, o.Reference.TrimStart('/')) : spec.Resolve(o.Reference);
                if (!File.Exists(file))
                {
                    throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: run '{r.Name}': reference output '{o.Reference}' ({file}) does not exist.");
                }

                outputs.Add((JsonNode)new JsonObject
                {
                    ["path"] = o.Path,
                    ["reference"] = o.Reference,
                    ["referenceBlob"] = await StoreFileAsync(file, cancellationToken),
                    ["compare"] = o.Compare?.DeepClone() ?? "exact",
                });
            }

            entry["outputs"] = outputs;
            runs.Add((JsonNode)entry);
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
}
