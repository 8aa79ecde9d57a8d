using System.Security.Cryptography;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Curation.Boot;
using CernVM.Preserve.Curation.Cvmfs;
using CernVM.Preserve.Curation.Packages;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine;
using CernVM.Preserve.Engine.Archiver;
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

/// <summary>
/// What a spec turns into before the snapshot: the composed tree, and the description of its environment (the
/// manifest's components and the warnings met reading them), which the snapshot runs beside its walk.
/// </summary>
public sealed record PreparedCapture(ITreeSource Tree, Func<CancellationToken, Task<EnvironmentDescription>> Describe, IReadOnlyList<IDisposable> Resources);

/// <summary>
/// Turns a curator's spec into what a snapshot needs (FORMAT.md §5.3): the OS root with its
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
        // What the tree is made of is settled here; what describes it (OS, packages, boot files, run entries) is
        // read by Describe, which the snapshot runs beside its walk.
        var cvmfsWarnings = new List<CaptureWarning>();

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

        var layers = new List<TreeLayer>();
        var software = new List<SoftwareComponent>();
        foreach (SoftwareSpec s in spec.Software)
        {
            string source = spec.Resolve(s.Source);
            if (!Directory.Exists(source))
            {
                throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: software '{s.Name}': source '{s.Source}' ({source}) is not a directory.");
            }

            layers.Add(new TreeLayer(s.MountPoint, new DirectoryTreeSource(source, []), $"software {s.Name}"));
            software.Add(new SoftwareComponent { Name = s.Name, Version = s.Version, MountPoint = s.MountPoint, Source = s.Source });
        }

        var cvmfs = new List<CvmfsComponent>();
        foreach (CvmfsSpec c in spec.Cvmfs)
        {
            (TreeLayer layer, CvmfsComponent description) = await OpenCvmfsAsync(spec, c, resources, cvmfsWarnings, cancellationToken);
            layers.Add(layer);
            cvmfs.Add(description);
        }

        // Without layers the root is the tree as it is: its walk hands out entries as it goes (FORMAT.md §6).
        ITreeSource tree = layers.Count == 0 ? rootTree : new CompositeTreeSource(rootTree, layers);
        ImageDescription? image = (archived as ImageTreeSource)?.Image;
        string described = rootfs;
        return new PreparedCapture(tree, ct => DescribeAsync(spec, described, image, software, cvmfs, cvmfsWarnings, ct), resources);
    }

    /// <summary>
    /// The manifest's components and the warnings met reading them, in the order a curator reads them: the OS
    /// and its packages, the CernVM-FS revisions, the boot files.
    /// </summary>
    private async Task<EnvironmentDescription> DescribeAsync(
        CapsuleSpec spec,
        string rootfs,
        ImageDescription? image,
        List<SoftwareComponent> software,
        List<CvmfsComponent> cvmfs,
        List<CaptureWarning> cvmfsWarnings,
        CancellationToken cancellationToken)
    {
        var warnings = new List<CaptureWarning>();

        // The quick form has no spec file to keep, nor anything else a curator says.
        CurationComponent? curation = spec.HasFile
            ? new CurationComponent
            {
                Experiment = spec.Experiment,
                Creators = spec.Creators.Select(c => new CreatorRecord { Name = c.Name, Affiliation = c.Affiliation, Orcid = c.Orcid }).ToList(),
                Licence = spec.Licence,
                DphepLevel = spec.DphepLevel,
                Spec = await StoreFileAsync(spec.SpecFile, cancellationToken),
            }
            : null;
        OsComponent os = await DescribeOsAsync(spec, rootfs, warnings, cancellationToken);
        if (image is not null)
        {
            os = os with
            {
                Image = new ContainerImageComponent
                {
                    Format = image.Format,
                    Reference = image.Reference,
                    ManifestDigest = image.ManifestDigest,
                    ConfigDigest = image.ConfigDigest,
                    Architecture = image.Architecture,
                    Os = image.Os,
                    Created = image.Created,
                    Layers = image.Layers,
                },
            };
        }

        warnings.AddRange(cvmfsWarnings);

        // FORMAT.md §5.3: every member is optional; one the spec does not ask for is left out.
        var components = new EnvironmentComponents
        {
            Curation = curation,
            Os = os,
            Software = spec.Software.Count > 0 ? software : null,
            Cvmfs = spec.Cvmfs.Count > 0 ? cvmfs : null,
            Boot = spec.Boot is not null ? await DescribeBootAsync(spec, spec.Boot, rootfs, warnings, cancellationToken) : null,
            Run = spec.Run.Count > 0 ? await DescribeRunAsync(spec, rootfs, cancellationToken) : null,
        };
        return new EnvironmentDescription(components, warnings);
    }

    private async Task<OsComponent> DescribeOsAsync(CapsuleSpec spec, string rootfs, List<CaptureWarning> warnings, CancellationToken cancellationToken)
    {
        OsIdentity id = OsIdentity.Detect(rootfs);
        var os = new OsComponent
        {
            Rootfs = spec.Os.Rootfs,
            Distribution = id.Distribution,
            Version = id.Version,
            Codename = id.Codename,
            Release = id.Release,
            ReleaseFile = id.ReleaseFile,
            OsRelease = id.OsRelease is { } fields
                ? new OsReleaseFields
                {
                    Id = fields.GetValueOrDefault("ID"),
                    VersionId = fields.GetValueOrDefault("VERSION_ID"),
                    PrettyName = fields.GetValueOrDefault("PRETTY_NAME"),
                }
                : null,
            Architecture = id.Architecture,
            IdentityFrom = id.Sources.ToList(),
        };
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
                warnings.Add(CaptureWarning.For(ReportCode.NoPackageDatabase, null, $"no package database read: {e.Message}"));
            }

            if (spec.Os.Metapackage is not null)
            {
                throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: os.metapackage '{spec.Os.Metapackage}' is named, but the tree's package database cannot be read: {e.Message}", e);
            }

            return os;
        }

        WarnUnknownDistribution(id, warnings);

        // The full package list is a blob (canonical JSON); the manifest keeps its id, its format and count.
        byte[] list = PackageList.Serialize(db.Packages.Select(p => new PackageListEntry
        {
            Name = p.Name,
            Epoch = p.Epoch,
            Version = p.Version,
            Release = p.Release,
            Arch = p.Architecture,
            Size = p.Size,
            InstallTime = p.InstallTime?.ToUnixTimeSeconds(),
            HeaderSha256 = p.HeaderSha256,
        }));
        (BlobId listId, _) = await archive.Blobs.PutAsync(list, cancellationToken);
        os = os with
        {
            Packages = new PackagesComponent
            {
                Format = db.Format.ToString(),
                Database = "/" + Path.GetRelativePath(rootfs, db.Path),
                Count = db.Packages.Count,
                List = listId.ToString(),
            },
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

            os = os with
            {
                Pin = new PinComponent
                {
                    Metapackage = pin.Metapackage.Name,
                    Version = pin.Metapackage.EpochVersionRelease,
                    Consistent = pin.IsConsistent,
                    Satisfied = pin.Satisfied.Count,
                    Deviations = pin.Deviations.Select(d => new PinDeviationRecord
                    {
                        Package = d.Requirement.Name,
                        Expected = d.Expected,
                        Installed = d.Actual.Select(a => a.EpochVersionRelease).ToList(),
                    }).ToList(),
                    Missing = pin.Missing.Select(m => $"{m.Name} = {m.Version}").ToList(),
                },
            };
            foreach (PinDeviation d in pin.Deviations)
            {
                warnings.Add(CaptureWarning.For(ReportCode.PinDeviation, null, $"{meta} pins {d.Requirement.Name} = {d.Expected}, installed: {string.Join(", ", d.Actual.Select(a => a.EpochVersionRelease))}"));
            }

            foreach (PackageRequirement m in pin.Missing)
            {
                warnings.Add(CaptureWarning.For(ReportCode.PinnedPackageMissing, null, $"{meta} pins {m.Name} = {m.Version}, which is not installed"));
            }
        }

        return os;
    }

    private static void WarnUnknownDistribution(OsIdentity id, List<CaptureWarning> warnings)
    {
        if (id.Distribution is null)
        {
            warnings.Add(CaptureWarning.For(ReportCode.DistributionUnknown, null, "the distribution is unknown: the tree has no os-release, *-release, lsb-release or debian_version file."));
        }
    }

    private async Task<(TreeLayer, CvmfsComponent)> OpenCvmfsAsync(CapsuleSpec spec, CvmfsSpec c, List<IDisposable> resources, List<CaptureWarning> warnings, CancellationToken cancellationToken)
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
        catch (Exception e) when (e is CvmfsIntegrityException or CvmfsFormatException or CvmfsSourceException or KeyNotFoundException)
        {
            throw RepositoryFailure(c, e);
        }

        string fqrn = c.Fqrn ?? verification.RepositoryName ?? "repository";
        string mount = c.MountPoint ?? "/cvmfs/" + fqrn;
        foreach (string w in verification.Warnings)
        {
            warnings.Add(CaptureWarning.For(ReportCode.CvmfsRemark, mount.TrimStart('/'), $"{fqrn}: {w}"));
        }

        // The revision's own signed artefacts are kept, so it can be exported and mounted again.
        string? published = await StoreIfPresentAsync(await source.TryFetchFileAsync(".cvmfspublished", cancellationToken), cancellationToken);
        string? whitelist = await StoreIfPresentAsync(await source.TryFetchFileAsync(".cvmfswhitelist", cancellationToken), cancellationToken);

        // Catalogs, certificate, history and meta-info are kept as they are. File and chunk objects live in the
        // tree, uncompressed; export writes them back with the system zlib, which must give the very bytes the
        // object's name hashes. An object that zlib does not reproduce is kept as it is too.
        var objects = new Dictionary<string, string>(StringComparer.Ordinal);
        int reproducible = 0;
        try
        {
            // Nested catalogs are opened here for the first time: a defect in one is the repository's, exit 3
            // naming the catalog (docs/CVMFS.md §9), like one found while opening or verifying.
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
        }
        catch (Exception e) when (e is CvmfsIntegrityException or CvmfsFormatException or CvmfsSourceException)
        {
            throw RepositoryFailure(c, e);
        }

        var description = new CvmfsComponent
        {
            Repository = c.Repository,
            Fqrn = fqrn,
            MountPoint = mount,
            Revision = repo.Revision,
            RootHash = repo.RootHash.ToString(),
            Tag = c.Tag,
            Published = verification.PublishTime is DateTimeOffset t ? ArchiveTime.Format(t) : null,
            CertificateFingerprint = verification.CertificateFingerprint.ToString(),
            WhitelistExpires = ArchiveTime.Format(verification.WhitelistExpiry),
            ShrinkwrapSpec = c.ShrinkwrapSpec,
            Artefacts = new CvmfsArtefacts { Published = published, Whitelist = whitelist, Objects = objects, ObjectsFromTree = reproducible },
        };
        ShrinkwrapSpec? shrinkwrap;
        try
        {
            shrinkwrap = c.ShrinkwrapSpec is string sw ? ShrinkwrapSpec.Parse(File.ReadAllText(spec.Resolve(sw)), sw) : null;
        }
        catch (CvmfsFormatException e)
        {
            throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: cvmfs shrinkwrapSpec {e.Message}", e);
        }

        return (new TreeLayer(mount, new CvmfsTreeSource(repo, $"{fqrn} revision {repo.Revision}", shrinkwrap), $"cvmfs {fqrn}"), description);
    }

    /// <summary>
    /// What a failure to read a CernVM-FS repository is to the curator: a defect of the repository (integrity),
    /// a source that cannot be reached (environment), or a tag or revision it does not have (not found).
    /// </summary>
    private static PreserveException RepositoryFailure(CvmfsSpec c, Exception e) => new(
        e switch
        {
            CvmfsSourceException => FailureKind.Environment,
            KeyNotFoundException => FailureKind.NotFound,
            _ => FailureKind.Integrity,
        },
        $"CernVM-FS repository {c.Repository}: {e.Message}",
        e);

    /// <summary>
    /// The boot component (FORMAT.md §5.3): kernel and initrd as the spec names them or, failing that, as the
    /// bootloader configuration's default entry does; each read for what it is (Boot/).
    /// </summary>
    private async Task<BootComponent> DescribeBootAsync(CapsuleSpec spec, BootSpec boot, string rootfs, List<CaptureWarning> warnings, CancellationToken cancellationToken)
    {
        BootloaderConfigComponent? bootloader = null;
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
                warnings.Add(CaptureWarning.For(ReportCode.BootDefaultUndecided, configPath.TrimStart('/'), w));
            }

            chosen = config.Default;
            if (chosen is null)
            {
                warnings.Add(CaptureWarning.For(ReportCode.BootDefaultUndecided, configPath.TrimStart('/'), $"the {config.Format} configuration has no boot entry"));
            }

            bootloader = new BootloaderConfigComponent
            {
                Path = configPath,
                Blob = await StoreFileAsync(file, cancellationToken),
                Format = config.Format,
                Entries = config.Entries.Count,
                DefaultSetting = config.DefaultSetting,
                Default = chosen is null ? null : new BootEntryRecord
                {
                    Id = chosen.Id,
                    Title = chosen.Title,
                    Kernel = chosen.Kernel,
                    Initrd = chosen.Initrd,
                    Cmdline = chosen.Cmdline,
                    Root = chosen.Root,
                },
            };
        }

        string? cmdline = boot.Cmdline ?? chosen?.Cmdline;
        KernelComponent? kernelComponent = null;
        InitrdComponent? initrdComponent = null;

        (string Path, string File, string From)? kernel = boot.Kernel is string k ? (k, LocateBootFile(spec, rootfs, k, "kernel"), "spec")
            : chosen?.Kernel is string ek ? ResolveEntryFile(rootfs, configPath, ek, "kernel", warnings) : null;
        if (kernel is (string kernelPath, string kernelFile, string kernelFrom))
        {
            KernelImageInfo info = KernelImage.Read(kernelFile, cancellationToken);
            if (info.Format == "unknown" || info.Note is not null)
            {
                warnings.Add(CaptureWarning.For(ReportCode.BootImageUnrecognised, kernelPath.TrimStart('/'), $"kernel {kernelPath}: {info.Note ?? "format not recognised"}"));
            }

            kernelComponent = new KernelComponent
            {
                Path = kernelPath,
                Blob = await StoreFileAsync(kernelFile, cancellationToken),
                From = kernelFrom,
                Format = info.Format,
                Version = info.Version,
                Release = info.Release,
                Architecture = info.Architecture,
                BootProtocol = info.BootProtocol,
                Compression = info.Compression,
            };
        }

        (string Path, string File, string From)? initrd = boot.Initrd is string i ? (i, LocateBootFile(spec, rootfs, i, "initrd"), "spec")
            : chosen?.Initrd is string ei ? ResolveEntryFile(rootfs, configPath, ei, "initrd", warnings) : null;
        if (initrd is (string initrdPath, string initrdFile, string initrdFrom))
        {
            InitrdInfo info = InitrdImage.Inspect(initrdFile, cancellationToken);
            foreach (string note in info.Notes)
            {
                warnings.Add(CaptureWarning.For(ReportCode.BootImageUnrecognised, initrdPath.TrimStart('/'), $"initrd {initrdPath}: {note}"));
            }

            initrdComponent = new InitrdComponent
            {
                Path = initrdPath,
                Blob = await StoreFileAsync(initrdFile, cancellationToken),
                From = initrdFrom,
                Segments = info.Segments.Select(g => new InitrdSegmentRecord
                {
                    Offset = g.Offset,
                    Compression = g.Compression,
                    Format = g.Format,
                    Entries = g.Entries,
                    Microcode = g.Microcode,
                }).ToList(),
            };
        }

        return new BootComponent
        {
            BootloaderConfig = bootloader,
            Cmdline = cmdline,
            CmdlineFrom = boot.Cmdline is not null ? "spec" : chosen?.Cmdline is not null ? "bootloaderConfig" : null,
            Kernel = kernelComponent,
            Initrd = initrdComponent,
            MicroCernvm = cmdline is not null && KernelCommandLine.MicroCernvmArguments(cmdline) is { Count: > 0 } micro ? micro.ToList() : null,
        };
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

        warnings.Add(CaptureWarning.For(ReportCode.BootFileMissing, path.TrimStart('/'), $"the bootloader's default entry names the {what} {path}, which is not in the tree (looked at {string.Join(", ", candidates.Distinct())})"));
        return null;
    }

    private async Task<List<RunComponent>> DescribeRunAsync(CapsuleSpec spec, string rootfs, CancellationToken cancellationToken)
    {
        var runs = new List<RunComponent>();
        foreach (RunSpec r in spec.Run)
        {
            var outputs = new List<RunOutputComponent>();
            foreach (OutputSpec o in r.Outputs ?? [])
            {
                // A reference inside the tree is found there; one outside is kept as a blob.
                string file = o.Reference.StartsWith('/') ? Path.Combine(rootfs, o.Reference.TrimStart('/')) : spec.Resolve(o.Reference);
                if (!File.Exists(file))
                {
                    throw new PreserveException(FailureKind.Usage, $"{spec.SpecFile}: run '{r.Name}': reference output '{o.Reference}' ({file}) does not exist.");
                }

                outputs.Add(new RunOutputComponent
                {
                    Path = o.Path,
                    Reference = o.Reference,
                    ReferenceBlob = await StoreFileAsync(file, cancellationToken),
                    Compare = o.Compare ?? ComparisonRule.Exact,
                });
            }

            runs.Add(new RunComponent
            {
                Name = r.Name,
                Interpreter = r.Interpreter,
                Script = r.Script,
                Workdir = r.Workdir,
                Environment = r.Environment,
                Args = r.Args,
                Timeout = r.Timeout,
                Inputs = r.Inputs,
                Outputs = outputs,
            });
        }

        return runs;
    }

    private async Task<string?> StoreIfPresentAsync(byte[]? bytes, CancellationToken cancellationToken) =>
        bytes is null ? null : (await archive.Blobs.PutAsync(bytes, cancellationToken)).Id.ToString();

    private async Task<string> StoreFileAsync(string path, CancellationToken cancellationToken) =>
        (await archive.Blobs.PutAsync(await File.ReadAllBytesAsync(path, cancellationToken), cancellationToken)).Id.ToString();

    private static RSA LoadKey(string path)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        return rsa;
    }
}
