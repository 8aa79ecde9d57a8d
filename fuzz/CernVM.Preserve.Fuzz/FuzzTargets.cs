using System.Text;
using CernVM.Preserve.Catalog;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Curation.Boot;
using CernVM.Preserve.Curation.Cvmfs;
using CernVM.Preserve.Curation.Packages;
using CernVM.Preserve.Curation.Spec;
using CernVM.Preserve.Curation.Trees;
using CernVM.Preserve.Engine;

namespace CernVM.Preserve.Fuzz;

/// <summary>
/// One reader of outside data under fuzzing: the entry point the product calls, and the errors that reader
/// documents (the ones the command line turns into an exit code). Any other exception, a hang or a crash of the
/// process is a finding.
/// </summary>
/// <param name="Name">The name tools/fuzz.sh and the corpus folders use.</param>
/// <param name="Reads">What the target reads, for docs/security.md and for messages.</param>
/// <param name="Run">Hands the input to the reader, the way the product does.</param>
/// <param name="Documented">The exception types the reader documents; none for readers that never throw.</param>
public sealed record FuzzTarget(string Name, string Reads, Action<byte[]> Run, IReadOnlyList<Type> Documented)
{
    /// <summary>Runs <paramref name="input"/>; returns the documented error it ended on, or null when it was read.</summary>
    /// <exception cref="Exception">Anything the reader does not document: a finding.</exception>
    public Exception? Check(byte[] input)
    {
        try
        {
            Run(input);
            return null;
        }
        catch (Exception e) when (Documented.Any(t => t.IsInstanceOfType(e)))
        {
            return e;
        }
    }
}

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    private static readonly Type[] Preserve = [typeof(PreserveException)];
    private static readonly Type[] PackageDatabase = [typeof(PackageDatabaseException)];
    private static readonly Type[] Cvmfs = [typeof(CvmfsFormatException), typeof(CvmfsIntegrityException)];
    private static readonly Type[] NeverThrows = [];

    /// <summary>A CernVM-FS object name for the catalog and history readers, which name their input by its hash.</summary>
    /// <remarks>
    /// Not a static field: nothing of the instrumented assemblies may run before SharpFuzz has set up AFL's
    /// shared memory (the instrumentation writes there), so this type's initialiser calls none of their code.
    /// </remarks>
    private static ContentHash SomeHash => ContentHash.Parse(new string('0', 40));

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("tar", "a root file system as a tarball, plain or compressed (RootfsTree: tar, gzip/xz/zstd/bzip2, or a container image when its members say so)", b => WithFile(b, "rootfs.tar", ReadRootfs), Preserve),
        new("image", "a container image archive (docker save, OCI layout as tar): manifests, indexes, configs, layers, whiteouts", b => WithFile(b, "image.tar", ReadImage), Preserve),
        new("rpm-header", "one rpm header blob (index entries, data store, region tag)", ReadRpmHeader, PackageDatabase),
        new("bdb", "an rpm Berkeley DB hash database (Packages)", b => WithFile(b, "Packages", p => RpmBerkeleyDbReader.Read(p)), PackageDatabase),
        new("rpm-sqlite", "an rpm SQLite database (rpmdb.sqlite)", b => WithFile(b, "rpmdb.sqlite", p => RpmSqliteDatabaseReader.Read(p)), PackageDatabase),
        new("dpkg-status", "a dpkg status file", b => DpkgStatusReader.Read(new StringReader(Encoding.UTF8.GetString(b)), "status"), PackageDatabase),
        new("cvmfs-manifest", "a CernVM-FS repository manifest (.cvmfspublished)", b => CvmfsManifest.Parse(b), Cvmfs),
        new("cvmfs-whitelist", "a CernVM-FS whitelist (.cvmfswhitelist)", b => CvmfsWhitelist.Parse(b), Cvmfs),
        new("cvmfs-catalog", "a CernVM-FS file catalog (SQLite, decompressed)", ReadCvmfsCatalog, Cvmfs),
        new("cvmfs-history", "a CernVM-FS tag history database (SQLite, decompressed)", b => CvmfsHistory.Open(b, SomeHash), Cvmfs),
        new("cvmfs-certificate", "a CernVM-FS signing certificate object (PEM)", ReadCvmfsCertificate, Cvmfs),
        new("cvmfs-xattrs", "a CernVM-FS catalog entry's extended attribute blob", b => CvmfsXattrs.Decode(b, "xattrs"), Cvmfs),
        new("shrinkwrap-spec", "a cvmfs_shrinkwrap specification", b => ShrinkwrapSpec.Parse(Encoding.UTF8.GetString(b)), Cvmfs),
        new("kernel", "a kernel image header (bzImage, ELF vmlinux, arm64 Image, whole-file compressed)", b => KernelImage.Read(new MemoryStream(b), "vmlinuz"), NeverThrows),
        new("initrd", "an initrd: cpio newc/crc/odc/binary archives, concatenated, compressed; ext2, squashfs, cramfs images", b => InitrdImage.Inspect(new MemoryStream(b), "initrd.img"), NeverThrows),
        new("grub-legacy", "a GRUB legacy configuration (menu.lst, grub.conf)", b => ReadBootloader("menu.lst", b), NeverThrows),
        new("grub2", "a GRUB 2 configuration (grub.cfg) and environment block (grubenv)", ReadGrub2, NeverThrows),
        new("extlinux", "an extlinux/syslinux/isolinux configuration", b => ReadBootloader("extlinux.conf", b), NeverThrows),
        new("cmdline", "a kernel command line", b => KernelCommandLine.Parse(Encoding.UTF8.GetString(b)), NeverThrows),
        new("spec", "a capsule spec in YAML or JSON", b => CapsuleSpecLoader.Parse(Encoding.UTF8.GetString(b), "capsule.yaml"), Preserve),
        new("os-identity", "a root's os-release, redhat-release and passwd/group files", ReadOsIdentity, NeverThrows),
        new("manifest", "a version's manifest.json (FORMAT.md §5)", b => ManifestCodec.Decode(b, "manifest.json"), Preserve),
        new("audit-manifest", "a version's manifest.json as the audit reads it: its schema, then the audit's own reader (ManifestFacts)", ReadAuditManifest, NeverThrows),
        new("sidecar", "a manifest's sha256 sidecar (FORMAT.md §8)", b => ManifestCodec.ParseSidecar(b), NeverThrows),
        new("signature", "a manifest's signature file (manifest.json.sig, FORMAT.md §5.4)", ReadSignature, Preserve),
        new("tree-catalog", "a version's tree catalog (SQLite, FORMAT.md §6)", b => TreeCatalog.ReadAll(b, "catalog"), Preserve),
        new("event", "a journal event (FORMAT.md §7)", ReadEvent, Preserve),
        new("package-list", "a version's package list blob", b => PackageList.Parse(b, "package list"), Preserve),
        new("archive-descriptor", "an archive's archive.json", b => CanonicalJson.Deserialize<ArchiveDescriptor>(b, "archive.json"), Preserve),
    ];

    /// <summary>The audit reads a manifest that passed its schema with its own reader, which must then never fail.</summary>
    private static void ReadAuditManifest(byte[] b)
    {
        if (ManifestCodec.ValidateManifest(b).Count == 0)
        {
            CernVM.Preserve.Audit.ManifestFacts.Read(b);
        }
    }

    /// <summary>The target named <paramref name="name"/>.</summary>
    public static FuzzTarget Named(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"no fuzz target '{name}'; there are: {string.Join(", ", All.Select(t => t.Name))}", nameof(name));

    private static void ReadRootfs(string path)
    {
        var resources = new List<IDisposable>();
        try
        {
            ITreeSource tree = RootfsTree.Open(path, [], [], "fuzz input", resources, CancellationToken.None);
            ReadTree(tree);
        }
        finally
        {
            resources.Reverse();
            resources.ForEach(r => r.Dispose());
        }
    }

    private static void ReadImage(string path)
    {
        using LocalTar tar = LocalTar.Open(path, CancellationToken.None);
        using var image = new ImageTreeSource(tar);
        ReadTree(image);
    }

    /// <summary>Walks the tree and reads every regular file back, as a snapshot does.</summary>
    private static void ReadTree(ITreeSource tree)
    {
        byte[] buffer = new byte[64 * 1024];
        foreach (var entry in tree.Walk(CancellationToken.None))
        {
            if (entry.Kind != Core.Model.EntryKind.File || entry.HardlinkTo is not null)
            {
                continue;
            }

            IFileContent content;
            try
            {
                content = tree.Open(entry);
            }
            catch (IOException)
            {
                // Documented: the snapshot records the file as unreadable.
                continue;
            }

            using (content)
            {
                foreach ((long offset, long length) in content.DataSegments(entry.Size))
                {
                    for (long done = 0; done < length;)
                    {
                        int n = content.Read(buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - done)), offset + done);
                        if (n == 0)
                        {
                            break;
                        }

                        done += n;
                    }
                }
            }
        }
    }

    private static void ReadRpmHeader(byte[] blob)
    {
        RpmHeader header = RpmHeader.Parse(blob, "Packages", "record 1");
        header.ToInstalledPackage(PackageDatabaseFormat.RpmBerkeleyDb);
    }

    private static void ReadCvmfsCatalog(byte[] sqlite)
    {
        using CvmfsCatalog catalog = CvmfsCatalog.Open(sqlite, SomeHash);
        foreach (CatalogRecord r in catalog.ReadAll())
        {
            if (r.Flags.HasFlag(CatalogEntryFlags.Chunked))
            {
                catalog.GetChunks(r.PathKey, r.HashAlgorithm);
            }
        }

        catalog.ListChildren(string.Empty);
        catalog.ReadAllChunkHashes().Count();
    }

    private static void ReadCvmfsCertificate(byte[] pem)
    {
        using var certificate = CvmfsRepository.LoadCertificate(pem, "certificate");
        CertificateFingerprint.Compute(certificate, CvmfsHashAlgorithm.Sha1);
    }

    private static void ReadBootloader(string fileName, byte[] text)
    {
        BootloaderConfig config = BootloaderConfig.Parse(fileName, Encoding.UTF8.GetString(text));
        _ = config.Default;
    }

    private static void ReadGrub2(byte[] bytes)
    {
        string text = Encoding.UTF8.GetString(bytes);
        Dictionary<string, string> environment = BootloaderConfig.ParseGrubEnvironment(text);
        BootloaderConfig config = BootloaderConfig.Parse("grub.cfg", text, environment);
        _ = config.Default;
    }

    private static void ReadOsIdentity(byte[] bytes)
    {
        string text = Encoding.UTF8.GetString(bytes);
        OsIdentity.ParseShellAssignments(text);
        foreach (string line in text.Split('\n'))
        {
            OsIdentity.ParseRedHatRelease(line);
        }

        AccountNames.Parse(bytes);
    }

    private static readonly byte[] SomeManifest = "{}"u8.ToArray();

    private static void ReadSignature(byte[] bytes)
    {
        // As Archive.ReadManifestAsync does: parse, then verify against the manifest's bytes.
        ManifestSignature signature = CanonicalJson.Deserialize<ManifestSignature>(bytes, "manifest.json.sig");
        signature.Verify(SomeManifest);
    }

    private static void ReadEvent(byte[] bytes)
    {
        IReadOnlyList<string> errors = ManifestCodec.ValidateEvent(bytes);
        if (errors.Count > 0)
        {
            throw new PreserveException(FailureKind.Integrity, $"event: fails its schema: {string.Join("; ", errors)}");
        }

        PreservationEvent e = CanonicalJson.Deserialize<PreservationEvent>(bytes, "event.json");
        _ = e.Key;
    }

    /// <summary>Writes the input where a reader of files finds it (a private folder of this process).</summary>
    private static void WithFile(byte[] input, string name, Action<string> read)
    {
        string path = Path.Combine(Scratch.Value, name);
        File.WriteAllBytes(path, input);
        try
        {
            read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static readonly Lazy<string> Scratch = new(() =>
    {
        string folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"cvmpreserve-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return folder;
    });
}
