using Xunit;
using System.Text;
using CernVM.Preserve.Core.Format;

namespace CernVM.Preserve.Core.Tests.Format;

public class ManifestCodecTests
{
    internal static Manifest Sample(int version = 1) => new()
    {
        Capsule = "aleph-alpha",
        Version = version,
        Created = "2026-11-25T07:00:00.1234567Z",
        Previous = version > 1 ? new PreviousVersion(version - 1, new string('a', 64)) : null,
        Producer = new Producer("cvmpreserve", "0.1.0", "host", "curator"),
        Title = "ALPHA 11.6 on SL4",
        Tree = new TreeSummary { Catalog = new string('b', 64), CatalogBytes = 4096, Source = "/srv/sl4", Entries = 3, Directories = 1, Files = 2, Bytes = 10, Blobs = 1 },
        Warnings = [new CaptureWarning("CAP001", "etc/shadow", "unreadable")],
        Statistics = new SnapshotStatistics { FilesRead = 2, BytesRead = 10, DurationSeconds = 0.5 },
    };

    [Fact]
    public void Encode_ThenDecode_GivesTheSameBytes()
    {
        byte[] bytes = ManifestCodec.Encode(Sample(2));
        Manifest back = ManifestCodec.Decode(bytes, "m.json");
        Assert.Equal(bytes, ManifestCodec.Encode(back));
    }

    [Fact]
    public void Encode_IsCanonical_TwoSpacesLfAndFinalNewline()
    {
        string text = Encoding.UTF8.GetString(ManifestCodec.Encode(Sample()));
        Assert.StartsWith("{\n  \"format\": 1,\n  \"capsule\": \"aleph-alpha\",", text);
        Assert.EndsWith("}\n", text);
        Assert.DoesNotContain("\r", text);
    }

    [Fact]
    public void Decode_FieldOfWrongType_NamesTheField()
    {
        string text = Encoding.UTF8.GetString(ManifestCodec.Encode(Sample())).Replace("\"entries\": 3", "\"entries\": \"three\"");
        PreserveException e = Assert.Throws<PreserveException>(() => ManifestCodec.Decode(Encoding.UTF8.GetBytes(text), "capsules/x/v1/manifest.json"));
        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains("capsules/x/v1/manifest.json", e.Message);
        Assert.Contains("/tree/entries", e.Message);
    }

    [Fact]
    public void Decode_UnknownTopLevelMember_IsRefused()
    {
        string text = Encoding.UTF8.GetString(ManifestCodec.Encode(Sample())).Replace("{\n  \"format\": 1,", "{\n  \"format\": 1,\n  \"surprise\": true,");
        Assert.Throws<PreserveException>(() => ManifestCodec.Decode(Encoding.UTF8.GetBytes(text), "m"));
    }

    [Fact]
    public void Decode_NotJson_SaysSo()
    {
        PreserveException e = Assert.Throws<PreserveException>(() => ManifestCodec.Decode("{ not json"u8.ToArray(), "m.json"));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void Encode_InvalidManifest_IsNeverWritten()
    {
        Manifest m = Sample();
        m.Capsule = "Not A Name";
        Assert.Throws<InvalidOperationException>(() => ManifestCodec.Encode(m));
    }

    [Fact]
    public void Sidecar_IsSha256sumCompatibleAndParses()
    {
        byte[] bytes = ManifestCodec.Encode(Sample());
        byte[] sidecar = ManifestCodec.Sidecar(bytes);
        string text = Encoding.ASCII.GetString(sidecar);
        Assert.Matches("^[0-9a-f]{64}  manifest.json\n$", text);
        Assert.Equal(text[..64], ManifestCodec.ParseSidecar(sidecar));
        Assert.Null(ManifestCodec.ParseSidecar("nonsense\n"u8.ToArray()));
    }

    // The sidecar reader's every condition (survivors of the mutation run, docs/security.md): each malformed
    // form on its own is refused, so that a sidecar that is not exactly a sha256sum line never names a hash.
    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  manifest.json\n", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  manifest.json", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde  manifest.json\n", null)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  manifest.jsox\n", null)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0 manifest.json\n", null)]
    [InlineData("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef  manifest.json\n", null)]
    [InlineData("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  manifest.json\n", null)]
    [InlineData("/123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  manifest.json\n", null)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde:  manifest.json\n", null)]
    [InlineData("`123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  manifest.json\n", null)]
    public void ParseSidecar_OnlyAnExactSha256sumLine_NamesAHash(string text, string? expected)
    {
        Assert.Equal(expected, ManifestCodec.ParseSidecar(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Decode_SchemaFailure_SaysSoWithThePointer()
    {
        string text = Encoding.UTF8.GetString(ManifestCodec.Encode(Sample())).Replace("\"capsule\": \"aleph-alpha\"", "\"capsule\": \"Not A Name\"");
        PreserveException e = Assert.Throws<PreserveException>(() => ManifestCodec.Decode(Encoding.UTF8.GetBytes(text), "capsules/x/v1/manifest.json"));
        Assert.StartsWith("capsules/x/v1/manifest.json: the manifest fails its schema: at /capsule: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"format\": 1", "\"format\": 111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111")]
    [InlineData("\"format\": 1", "\"format\": 1e400")]
    public void Decode_NumberTooLargeForTheSchemaCheck_IsAnIntegrityErrorNamingTheFile(string from, string to)
    {
        string text = Encoding.UTF8.GetString(ManifestCodec.Encode(Sample()));
        Assert.Contains(from, text, StringComparison.Ordinal);

        PreserveException e = Assert.Throws<PreserveException>(() => ManifestCodec.Decode(Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal)), "capsules/x/v1/manifest.json"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Equal("capsules/x/v1/manifest.json: the manifest fails its schema: holds a number too large to be checked (beyond 28 significant digits; no number of format 1 comes near).", e.Message);
    }

    [Fact]
    public void ValidateEvent_NumberTooLargeForTheSchemaCheck_IsAnError() =>
        Assert.Equal(
            ["holds a number too large to be checked (beyond 28 significant digits; no number of format 1 comes near)"],
            ManifestCodec.ValidateEvent(Encoding.UTF8.GetBytes("{\"format\": " + new string('1', 90) + "}")));

    [Fact]
    public void ValidateManifest_RootNotAnObject_NamesTheRoot()
    {
        IReadOnlyList<string> errors = ManifestCodec.ValidateManifest("[]"u8.ToArray());
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.StartsWith("at /: ", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Encode_InvalidManifest_SaysWhichRuleItBreaks()
    {
        Manifest m = Sample();
        m.Capsule = "Not A Name";
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => ManifestCodec.Encode(m));
        Assert.StartsWith("Refusing to write a manifest that fails its schema: at /capsule", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("null", "archive.json: the file holds 'null', not a JSON object.")]
    [InlineData("{ \"id\": ", "archive.json: not valid JSON (")]
    [InlineData("{ \"id\": \"\xff\" }", "archive.json: not valid JSON (it is not UTF-8 text).")]
    public void Deserialize_NotAnObject_IntegrityErrorNamingTheFile(string text, string message)
    {
        byte[] bytes = text.Select(c => (byte)c).ToArray();
        PreserveException e = Assert.Throws<PreserveException>(() => CanonicalJson.Deserialize<ArchiveDescriptor>(bytes, "archive.json"));
        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [FsCheck.Xunit.Property]
    public bool EncodeDecode_RoundTripsArbitraryText(string? title, FsCheck.NonNegativeInt entries, FsCheck.PositiveInt version)
    {
        Manifest m = Sample();
        m.Title = title?.Replace("\0", "", StringComparison.Ordinal);
        m.Version = version.Get;
        m.Tree.Entries = entries.Get + 1;
        byte[] bytes = ManifestCodec.Encode(m);
        Manifest back = ManifestCodec.Decode(bytes, "m");
        return back.Title == m.Title && back.Version == m.Version && back.Tree.Entries == m.Tree.Entries && ManifestCodec.Encode(back).AsSpan().SequenceEqual(bytes);
    }

    [Theory]
    [InlineData("aleph-alpha\n")]
    [InlineData("aleph-alpha\r\n")]
    [InlineData("\naleph-alpha")]
    public void ValidateManifest_NameWithANewlineAtAnEnd_Refused(string capsule)
    {
        // The schema's patterns end in $: ECMA-262 reads it as the end of the text, .NET also before a final newline.
        Manifest m = Sample();
        byte[] good = ManifestCodec.Encode(m);
        byte[] bad = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(good).Replace("\"aleph-alpha\"", System.Text.Json.JsonSerializer.Serialize(capsule), StringComparison.Ordinal));
        Assert.NotEqual(good, bad);
        Assert.Contains(ManifestCodec.ValidateManifest(bad), e => e.StartsWith("at /capsule", StringComparison.Ordinal));
    }
}
