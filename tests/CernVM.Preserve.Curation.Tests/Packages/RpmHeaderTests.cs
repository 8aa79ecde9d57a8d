using System.Buffers.Binary;
using System.Text;
using CernVM.Preserve.Curation.Packages;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

/// <summary>Headers assembled byte by byte from docs/manual/format_header.md, one entry of every type.</summary>
public sealed class RpmHeaderTests
{
    [Fact]
    public void Parse_EntryOfEveryType_DecodesEachValue()
    {
        var builder = new HeaderBuilder();
        builder.Add(1000, RpmTagType.String, Strings("demo"), 1);
        builder.Add(1001, RpmTagType.String, Strings("1.0"), 1);
        builder.Add(1002, RpmTagType.String, Strings("1"), 1);
        builder.Add(1004, RpmTagType.I18nString, Strings("English summary", "Résumé"), 2);
        builder.Add(1022, RpmTagType.String, Strings("x86_64"), 1);
        builder.Add(1030, RpmTagType.Int16, [0x81, 0xa4, 0x41, 0xed], 2);
        builder.Add(1003, RpmTagType.Int32, [0, 0, 0, 7], 1);
        builder.Add(5009, RpmTagType.Int64, [0, 0, 0, 1, 0, 0, 0, 0], 1);
        builder.Add(5000, RpmTagType.Char, [(byte)'a', (byte)'b'], 2);
        builder.Add(5001, RpmTagType.Int8, [1, 2, 3], 3);
        builder.Add(261, RpmTagType.Binary, [0xde, 0xad, 0xbe, 0xef], 4);
        builder.Add(1049, RpmTagType.StringArray, Strings("libc.so.6", "rpmlib(X)"), 2);
        builder.Add(1048, RpmTagType.Int32, [0, 0, 0, 0, 0x01, 0, 0, 0x0a], 2);
        builder.Add(1050, RpmTagType.StringArray, Strings("", "4.0-1"), 2);

        RpmHeader header = RpmHeader.Parse(builder.Build(region: true), "db", "header #1");
        InstalledPackage package = header.ToInstalledPackage(PackageDatabaseFormat.RpmSqlite);

        Assert.Equal(63, header.RegionTag);
        Assert.Equal(15, header.RegionEntryCount);
        Assert.Equal("demo-7:1.0-1.x86_64", package.ToString());
        Assert.Equal("English summary", package.Summary);
        Assert.Equal(["English summary", "Résumé"], header.GetStringArray(RpmTag.Summary));
        Assert.Equal(1L << 32, package.Size);
        Assert.Equal([0x81a4L, 0x41edL], header.GetIntegers((RpmTag)1030)!);
        Assert.Equal([97L, 98L], header.GetIntegers((RpmTag)5000)!);
        Assert.Equal([1L, 2L, 3L], header.GetIntegers((RpmTag)5001)!);
        Assert.Equal([0xde, 0xad, 0xbe, 0xef], header.GetBinary((RpmTag)261));
        Assert.Equal(["libc.so.6", "rpmlib(X) <= 4.0-1"], package.Requires.Select(r => r.ToString()));
        Assert.True(package.Requires[1].IsRpmLibCapability);
    }

    [Fact]
    public void Parse_WithLeadingMagic_SkipsIt()
    {
        var builder = new HeaderBuilder();
        builder.Add(1000, RpmTagType.String, Strings("demo"), 1);
        byte[] blob = builder.Build(region: false);
        byte[] withMagic = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0, .. blob];

        RpmHeader header = RpmHeader.Parse(withMagic, "demo.rpm", "main header");

        Assert.Null(header.RegionTag);
        Assert.Equal("demo", header.GetString(RpmTag.Name));
    }

    [Fact]
    public void Parse_DribbleRepeatsRegionTag_LaterValueWins()
    {
        var builder = new HeaderBuilder();
        builder.Add(1000, RpmTagType.String, Strings("old"), 1);
        builder.AddDribble(1000, RpmTagType.String, Strings("new"), 1);

        RpmHeader header = RpmHeader.Parse(builder.Build(region: true), "db", "header #1");

        Assert.Equal(2, header.RegionEntryCount);
        Assert.Equal("new", header.GetString(RpmTag.Name));
    }

    [Theory]
    [InlineData(RpmTagType.Int32, 2)]
    [InlineData(RpmTagType.Int16, 1)]
    [InlineData(RpmTagType.Int64, 4)]
    public void Parse_MisalignedInteger_Throws(RpmTagType type, int offset)
    {
        var builder = new HeaderBuilder();
        builder.AddAt(1009, type, new byte[16], 1, offset);

        var e = Assert.Throws<PackageDatabaseException>(() => RpmHeader.Parse(builder.Build(region: false), "db", "header #3"));

        Assert.Contains("misaligned", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_StringWithoutTerminator_Throws()
    {
        var builder = new HeaderBuilder();
        builder.Add(1000, RpmTagType.String, Encoding.ASCII.GetBytes("no-nul"), 1);

        var e = Assert.Throws<PackageDatabaseException>(() => RpmHeader.Parse(builder.Build(region: false), "db", "header #4"));

        Assert.Contains("header #4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetIntegers_TagHoldsString_ThrowsInsteadOfMisreading()
    {
        var builder = new HeaderBuilder();
        builder.Add(1003, RpmTagType.String, Strings("1"), 1);
        RpmHeader header = RpmHeader.Parse(builder.Build(region: false), "db", "header #5");

        Assert.Throws<PackageDatabaseException>(() => header.GetIntegers(RpmTag.Epoch));
    }

    private static byte[] Strings(params string[] values) =>
        [.. values.SelectMany(v => Encoding.UTF8.GetBytes(v).Append((byte)0))];

    /// <summary>Lays out entries as rpm does: data aligned per type, a region trailer last in the region.</summary>
    private sealed class HeaderBuilder
    {
        private readonly List<(int Tag, RpmTagType Type, int Offset, int Count)> _entries = [];
        private readonly List<(int Tag, RpmTagType Type, int Offset, int Count)> _dribbles = [];
        private readonly List<byte> _data = [];

        public void Add(int tag, RpmTagType type, byte[] bytes, int count) => _entries.Add(Append(tag, type, bytes, count, Alignment(type)));

        public void AddDribble(int tag, RpmTagType type, byte[] bytes, int count) => _dribbles.Add(Append(tag, type, bytes, count, Alignment(type)));

        public void AddAt(int tag, RpmTagType type, byte[] bytes, int count, int offset)
        {
            while (_data.Count < offset)
            {
                _data.Add(0);
            }

            _entries.Add((tag, type, _data.Count, count));
            _data.AddRange(bytes);
        }

        public byte[] Build(bool region)
        {
            var index = new List<(int Tag, RpmTagType Type, int Offset, int Count)>(_entries);
            var data = new List<byte>(_data);
            if (region)
            {
                // format_header.md: the trailer repeats the region tag and stores -(entries in region × 16).
                int trailerOffset = data.Count;
                int regionEntries = _entries.Count + 1;
                data.AddRange(Entry(63, RpmTagType.Binary, -(regionEntries * 16), 16));
                index.Insert(0, (63, RpmTagType.Binary, trailerOffset, 16));
            }

            // Dribbles, added at install time, follow the region in the index.
            index.AddRange(_dribbles);

            var blob = new List<byte>();
            blob.AddRange(BigEndian(index.Count));
            blob.AddRange(BigEndian(data.Count));
            foreach ((int tag, RpmTagType type, int offset, int count) in index)
            {
                blob.AddRange(Entry(tag, type, offset, count));
            }

            blob.AddRange(data);
            return [.. blob];
        }

        private (int Tag, RpmTagType Type, int Offset, int Count) Append(int tag, RpmTagType type, byte[] bytes, int count, int alignment)
        {
            while (_data.Count % alignment != 0)
            {
                _data.Add(0);
            }

            int offset = _data.Count;
            _data.AddRange(bytes);
            return (tag, type, offset, count);
        }

        private static int Alignment(RpmTagType type) => type switch
        {
            RpmTagType.Int16 => 2,
            RpmTagType.Int32 => 4,
            RpmTagType.Int64 => 8,
            _ => 1,
        };

        private static byte[] Entry(int tag, RpmTagType type, int offset, int count) =>
            [.. BigEndian(tag), .. BigEndian((int)type), .. BigEndian(offset), .. BigEndian(count)];

        private static byte[] BigEndian(int value)
        {
            byte[] b = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, value);
            return b;
        }
    }
}
