using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CernVM.Preserve.Core.Format;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Format;

/// <summary>The manifest's components as types (FORMAT.md §5.3): JSON → typed → JSON gives the same bytes.</summary>
public class EnvironmentComponentsTests
{
    private static readonly string H = new('a', 64);

    /// <summary>Every member FORMAT.md §5.3 defines, each comparison form, a bare micro-CernVM flag, nulls where the writer writes them.</summary>
    private static readonly string Components = $$"""
    {
      "curation": { "experiment": "ALEPH", "creators": [ { "name": "A. Curator", "affiliation": "CERN", "orcid": "0000-0002-1825-0097" }, { "name": "B" } ],
                    "licence": "CC-BY-4.0", "dphepLevel": 4, "spec": "{{H}}" },
      "os": { "rootfs": "/srv/sl4", "distribution": "Scientific Linux", "version": "4.7", "codename": "Beryllium",
              "release": "Scientific Linux SL release 4.7 (Beryllium)", "releaseFile": "/etc/redhat-release",
              "osRelease": { "id": "scientific", "versionId": null, "prettyName": "SL 4.7" },
              "architecture": "i686", "identityFrom": [ "/etc/redhat-release", "/bin/sh" ],
              "packages": { "format": "rpm-bdb", "database": "/var/lib/rpm/Packages", "count": 812, "list": "{{H}}" },
              "pin": { "metapackage": "aleph-meta", "version": "1:4.7-2", "consistent": false, "satisfied": 40,
                       "deviations": [ { "package": "glibc", "expected": "2.3.4-2.41", "installed": [ "2.3.4-2.43", "2.3.4-2.44" ] } ],
                       "missing": [ "cernlib = 2006-35" ] },
              "image": { "format": "oci", "reference": null, "manifestDigest": "sha256:{{H}}", "configDigest": "sha256:{{H}}",
                         "architecture": "amd64", "os": "linux", "created": null, "layers": [ "sha256:{{H}}" ] } },
      "software": [ { "name": "alpha", "version": null, "mountPoint": "/aleph/alpha", "source": "alpha-11.6" } ],
      "cvmfs": [ { "repository": "http://cvmfs-stratum-one.cern.ch/cvmfs/sft.cern.ch", "fqrn": "sft.cern.ch", "mountPoint": "/cvmfs/sft.cern.ch",
                   "revision": 4711, "rootHash": "0123456789abcdef0123456789abcdef01234567", "tag": null, "published": "2016-05-01T12:00:00Z",
                   "certificateFingerprint": "AB:CD", "whitelistExpires": "2016-06-01T00:00:00Z", "shrinkwrapSpec": "sft.spec",
                   "artefacts": { ".cvmfspublished": "{{H}}", "objects": { "data/01/23C": "{{H}}", "data/45/67X": "{{H}}" }, "objectsFromTree": 17 } } ],
      "boot": { "bootloaderConfig": { "path": "/boot/grub/grub.conf", "blob": "{{H}}", "format": "grub-legacy", "entries": 2, "defaultSetting": "0",
                                      "default": { "id": "0", "title": "SL 4.7", "kernel": "/vmlinuz-2.6.9", "initrd": "/initrd-2.6.9.img", "cmdline": "ro root=LABEL=/", "root": "(hd0,0)" } },
                "cmdline": "ro root=LABEL=/ cvmfs_repos=sft cernvm_inject", "cmdlineFrom": "bootloaderConfig",
                "kernel": { "path": "/boot/vmlinuz-2.6.9", "blob": "{{H}}", "from": "bootloaderConfig", "format": "bzImage", "version": "2.6.9-78.EL (builder)",
                            "release": "2.6.9-78.EL", "architecture": null, "bootProtocol": "2.03", "compression": "gzip" },
                "initrd": { "path": "/boot/initrd-2.6.9.img", "blob": "{{H}}", "from": "bootloaderConfig",
                            "segments": [ { "offset": 0, "compression": null, "format": "cpio-newc", "entries": 3, "microcode": true },
                                          { "offset": 1024, "compression": "gzip", "format": "cpio-newc", "entries": null, "microcode": false } ] },
                "microCernvm": { "cernvm_inject": true, "cvmfs_repos": "sft" } },
      "run": [ { "name": "histogram", "interpreter": "/bin/sh", "script": "/aleph/run.sh", "environment": { "B": "2", "A": "1" }, "args": [ "x" ],
                 "outputs": [ { "path": "/tmp/a", "reference": "/ref/a", "referenceBlob": "{{H}}", "compare": "exact" },
                              { "path": "/tmp/b", "reference": "ref/b", "referenceBlob": "{{H}}", "compare": "text" },
                              { "path": "/tmp/c", "reference": "ref/c", "referenceBlob": "{{H}}", "compare": { "text": {} } },
                              { "path": "/tmp/d", "reference": "ref/d", "referenceBlob": "{{H}}", "compare": { "text": { "ignore": [ "^date: ", "\\d+ ms$" ] } } },
                              { "path": "/tmp/e", "reference": "ref/e", "referenceBlob": "{{H}}", "compare": { "numeric": { "relTol": 1E-09, "absTol": 0.5 } } },
                              { "path": "/tmp/f", "reference": "ref/f", "referenceBlob": "{{H}}", "compare": { "numeric": {} } } ] },
               { "name": "bare", "script": "/aleph/bare.sh", "outputs": [] } ]
    }
    """;

    private static readonly JsonSerializerOptions Canonical = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A manifest holding <paramref name="components"/>, in the canonical form a writer produces (FORMAT.md §1.3).</summary>
    private static byte[] ManifestWith(string components)
    {
        JsonNode manifest = JsonNode.Parse(ManifestCodec.Encode(ManifestCodecTests.Sample()))!;
        manifest.AsObject().Insert(manifest.AsObject().IndexOf("warnings"), "components", JsonNode.Parse(components));
        return Encoding.UTF8.GetBytes(manifest.ToJsonString(Canonical) + "\n");
    }

    [Fact]
    public void Decode_EveryComponent_EncodesToTheSameBytes()
    {
        byte[] bytes = ManifestWith(Components);
        Manifest m = ManifestCodec.Decode(bytes, "manifest.json");
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(ManifestCodec.Encode(m)));
    }

    [Fact]
    public void Decode_EveryComponent_ReadsTheTypedValues()
    {
        EnvironmentComponents c = ManifestCodec.Decode(ManifestWith(Components), "manifest.json").Components!;
        Assert.Equal(4, c.Curation!.DphepLevel);
        Assert.Equal("0000-0002-1825-0097", c.Curation.Creators![0].Orcid);
        Assert.Null(c.Curation.Creators[1].Affiliation);
        Assert.Equal(812, c.Os!.Packages!.Count);
        Assert.Equal(["2.3.4-2.43", "2.3.4-2.44"], c.Os.Pin!.Deviations[0].Installed);
        Assert.Equal(["cernlib = 2006-35"], c.Os.Pin.Missing);
        Assert.Null(c.Os.Image!.Reference);
        Assert.Equal(4711, c.Cvmfs![0].Revision);
        Assert.Null(c.Cvmfs[0].Artefacts.Whitelist);
        Assert.Equal(["data/01/23C", "data/45/67X"], c.Cvmfs[0].Artefacts.Objects.Keys);
        Assert.Equal("(hd0,0)", c.Boot!.BootloaderConfig!.Default!.Root);
        Assert.Equal([new("cernvm_inject", null), new KeyValuePair<string, string?>("cvmfs_repos", "sft")], c.Boot.MicroCernvm);
        Assert.Equal(1024, c.Boot.Initrd!.Segments[1].Offset);
        Assert.Equal(["B", "A"], c.Run![0].Environment!.Keys);
        IReadOnlyList<RunOutputComponent> o = c.Run[0].Outputs;
        Assert.Equal([ComparisonKind.Exact, ComparisonKind.Text, ComparisonKind.Text, ComparisonKind.Text, ComparisonKind.Numeric, ComparisonKind.Numeric], o.Select(x => x.Compare.Kind));
        Assert.Equal(["^date: ", "\\d+ ms$"], o[3].Compare.Ignore);
        Assert.Equal(1e-9, o[4].Compare.RelTol);
        Assert.Null(o[5].Compare.AbsTol);
        Assert.Null(c.Run[1].Interpreter);
    }

    [Fact]
    public void Decode_MembersOfALaterRevision_AreKeptAndWrittenBack()
    {
        // FORMAT.md §5.3: readers ignore members they do not know; a rewrite must not lose them.
        string later = Components
            .Replace("\"objectsFromTree\": 17 }", "\"objectsFromTree\": 17, \"signedBy\": { \"cn\": \"x\" } }", StringComparison.Ordinal)
            .Replace("\"layers\": [ \"sha256:" + H + "\" ] }", "\"layers\": [ \"sha256:" + H + "\" ], \"annotations\": [ 1, 2 ] }", StringComparison.Ordinal);
        later = later[..later.LastIndexOf('}')] + ", \"audit\": { \"level\": 3 } }";
        byte[] bytes = ManifestWith(later);
        Manifest m = ManifestCodec.Decode(bytes, "manifest.json");
        Assert.Equal(3, m.Components!.Unknown!["audit"].GetProperty("level").GetInt32());
        Assert.Equal("x", m.Components.Cvmfs![0].Artefacts.Unknown!["signedBy"].GetProperty("cn").GetString());
        Assert.Equal(2, m.Components.Os!.Image!.Unknown!["annotations"].GetArrayLength());
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(ManifestCodec.Encode(m)));
    }

    [Theory]
    [InlineData("capsules/fixture/v1/manifest.json")]
    [InlineData("capsules/fixture/v2/manifest.json")]
    public void Decode_FrozenFormat1Manifest_EncodesToTheSameBytes(string key)
    {
        byte[] bytes = File.ReadAllBytes(RepositoryFiles.PathOf("fixtures/format1/archive/" + key));
        Assert.Equal(bytes, ManifestCodec.Encode(ManifestCodec.Decode(bytes, key)));
    }

    [Theory]
    [InlineData("\"fuzzy\"")]
    [InlineData("{\"histogram\": {\"bins\": 10}}")]
    [InlineData("{\"text\": {}, \"numeric\": {}}")]
    public void ComparisonRule_OfAFormNotKnown_IsKeptAsReadAndWrittenBack(string json)
    {
        // FORMAT.md §5.3: a reader ignores what it does not know; the manifest stays readable and rewritable.
        ComparisonRule rule = CanonicalJson.Deserialize<ComparisonRule>(Encoding.UTF8.GetBytes(json), "compare");
        Assert.Equal(ComparisonKind.Unknown, rule.Kind);
        Assert.Equal(JsonNode.Parse(json)!.ToJsonString(Canonical), Encoding.UTF8.GetString(CanonicalJson.Serialize(rule))[..^1]);
    }

    [Fact]
    public void ComparisonRule_Exact_IsAlwaysTheBareName() =>
        Assert.Equal("\"exact\"\n", Encoding.UTF8.GetString(CanonicalJson.Serialize(new ComparisonRule { Kind = ComparisonKind.Exact })));

    [Theory]
    [InlineData(2, "11.6", "1", "2:11.6-1")]
    [InlineData(null, "1.35.0", "1", "1.35.0-1")]
    [InlineData(1, "2.36", "", "1:2.36")]
    [InlineData(null, "5.2.15", "", "5.2.15")]
    public void PackageListEntry_EpochVersionRelease_AsRpmAndDpkgPrintIt(int? epoch, string version, string release, string expected) =>
        Assert.Equal(expected, new PackageListEntry { Name = "p", Epoch = epoch, Version = version, Release = release }.EpochVersionRelease);

    [Fact]
    public void PackageList_SerializeThenParse_GivesTheSameList()
    {
        PackageListEntry[] list =
        [
            new() { Name = "bash", Epoch = null, Version = "5.2.15", Release = "2+b2", Arch = "amd64", Size = 7000 * 1024, InstallTime = null, HeaderSha256 = null },
            new() { Name = "glibc", Epoch = 0, Version = "2.3.4", Release = "2.41", Arch = "i686", Size = 12, InstallTime = 1157000000, HeaderSha256 = H },
        ];
        byte[] bytes = PackageList.Serialize(list);
        Assert.StartsWith("[\n  {\n    \"name\": \"bash\",\n    \"epoch\": null,", Encoding.UTF8.GetString(bytes));
        IReadOnlyList<PackageListEntry> back = PackageList.Parse(bytes, "list");
        Assert.Equal(list, back);
        Assert.Equal(bytes, PackageList.Serialize(back));
    }

    /// <summary>Typed → JSON → typed → JSON: the second serialisation equals the first, whatever the values.</summary>
    [FsCheck.Xunit.Property(MaxTest = 200)]
    public bool Serialize_ThenDeserialize_GivesTheSameBytes(string? text, int count, long revision, bool flag, double tolerance, string[]? items)
    {
        // JSON text is Unicode: a lone surrogate cannot be written, so generated strings are made valid first.
        text = Valid(text);
        string s = text ?? "";
        List<string> list = (items ?? []).Select(x => Valid(x) ?? "").ToList();
        var components = new EnvironmentComponents
        {
            Curation = new CurationComponent { Experiment = text, Creators = [new CreatorRecord { Name = s, Orcid = text }], DphepLevel = count },
            Os = new OsComponent
            {
                Rootfs = s,
                Release = text,
                IdentityFrom = list,
                Packages = flag ? new PackagesComponent { Format = "dpkg", Database = s, Count = count, List = s } : null,
                Pin = new PinComponent { Metapackage = s, Consistent = flag, Satisfied = count, Missing = list, Deviations = [new PinDeviationRecord { Package = s, Expected = s, Installed = list }] },
            },
            Software = flag ? null : [new SoftwareComponent { Name = s, MountPoint = "/" + s, Version = text }],
            Cvmfs = [new CvmfsComponent
            {
                Fqrn = s, MountPoint = "/cvmfs/" + s, Revision = revision, RootHash = s,
                Artefacts = new CvmfsArtefacts { Whitelist = text, Objects = list.Distinct().ToDictionary(x => x, x => s), ObjectsFromTree = count },
            }],
            Boot = new BootComponent
            {
                Cmdline = text,
                MicroCernvm = list.Distinct().Select(x => new KeyValuePair<string, string?>(x, flag ? null : x)).ToList(),
                Initrd = new InitrdComponent { Path = s, Blob = s, Segments = [new InitrdSegmentRecord { Offset = revision, Format = s, Entries = flag ? count : null }] },
            },
            Run = [new RunComponent
            {
                Name = s, Script = s, Args = flag ? list : null,
                Outputs = [new RunOutputComponent
                {
                    Path = s, Reference = s, ReferenceBlob = s,
                    Compare = double.IsFinite(tolerance)
                        ? new ComparisonRule { Kind = ComparisonKind.Numeric, RelTol = Math.Abs(tolerance), AbsTol = flag ? null : 0 }
                        : new ComparisonRule { Kind = ComparisonKind.Text, Ignore = list, Shorthand = flag },
                }],
            }],
        };

        byte[] once = CanonicalJson.Serialize(components);
        EnvironmentComponents back = CanonicalJson.Deserialize<EnvironmentComponents>(once, "components");
        return once.AsSpan().SequenceEqual(CanonicalJson.Serialize(back))
            && back.Cvmfs![0].Revision == revision
            && back.Os!.Pin!.Satisfied == count
            && (back.Os.Packages is not null) == flag;
    }

    private static string? Valid(string? x) => x is null ? null : new string(x.Where(c => !char.IsSurrogate(c)).ToArray());
}
