using System.Buffers.Binary;
using CernVM.Preserve.Curation.Packages;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

public sealed class CorruptDatabaseTests
{
    private static byte[] RealHeaderBlob()
    {
        string path = RealData.SqliteRpmDbCopy();
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT blob FROM Packages ORDER BY hnum LIMIT 1";
        return (byte[])command.ExecuteScalar()!;
    }

    [Fact]
    public void Parse_RealBlob_ReadsImmutableRegion()
    {
        RpmHeader header = RpmHeader.Parse(RealHeaderBlob(), "rpmdb.sqlite", "header #1");

        Assert.Equal((int)RpmTag.HeaderImmutable, header.RegionTag);
        Assert.True(header.RegionEntryCount > 10);
        Assert.NotNull(header.GetString(RpmTag.Name));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(-1)]
    public void Parse_TruncatedBlob_ThrowsNamingFileAndRecord(int keep)
    {
        byte[] blob = RealHeaderBlob();
        byte[] truncated = blob[..(keep >= 0 ? keep : blob.Length - 1)];

        var e = Assert.Throws<PackageDatabaseException>(() => RpmHeader.Parse(truncated, "/srv/tree/var/lib/rpm/rpmdb.sqlite", "header #7"));

        Assert.Contains("/srv/tree/var/lib/rpm/rpmdb.sqlite", e.Message, StringComparison.Ordinal);
        Assert.Contains("header #7", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8, 0x7fff0000)]
    [InlineData(12, 0x7fffffff)]
    [InlineData(4, 99)]
    public void Parse_EntryFieldOutOfRange_ThrowsInsteadOfReadingOutside(int fieldOffset, int value)
    {
        byte[] blob = RealHeaderBlob();

        // Corrupt the second index entry (the first is the region tag): its offset, count or type.
        BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(8 + 16 + fieldOffset), value);

        var e = Assert.Throws<PackageDatabaseException>(() => RpmHeader.Parse(blob, "rpmdb.sqlite", "header #1"));
        Assert.Contains("header #1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RegionTrailerOutsideData_Throws()
    {
        byte[] blob = RealHeaderBlob();
        BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(8 + 8), int.MaxValue - 4);

        var e = Assert.Throws<PackageDatabaseException>(() => RpmHeader.Parse(blob, "rpmdb.sqlite", "header #1"));
        Assert.Contains("region", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BerkeleyDbWithWrongMagic_ThrowsNamingFile()
    {
        using var dir = new TemporaryDirectory();
        string path = Path.Combine(dir.Path, "Packages");
        byte[] bytes = File.ReadAllBytes(Path.Combine(RealData.RpmDb("el8-libuuid-bdb"), "Packages"));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), 0xdeadbeef);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<PackageDatabaseException>(() => RpmBerkeleyDbReader.Read(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GarbageFileNamedPackages_ThrowsNamingFile()
    {
        using var dir = new TemporaryDirectory();
        string path = Path.Combine(dir.Path, "Packages");
        var random = new Random(42);
        byte[] garbage = new byte[8192];
        random.NextBytes(garbage);
        File.WriteAllBytes(path, garbage);

        var e = Assert.Throws<PackageDatabaseException>(() => RpmBerkeleyDbReader.Read(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(512)]
    [InlineData(20000)]
    [InlineData(60000)]
    public void Read_TruncatedBerkeleyDb_ThrowsNamingFile(int keep)
    {
        using var dir = new TemporaryDirectory();
        string path = Path.Combine(dir.Path, "Packages");
        byte[] bytes = File.ReadAllBytes(Path.Combine(RealData.RpmDb("el8-libuuid-bdb"), "Packages"));
        File.WriteAllBytes(path, bytes[..keep]);

        var e = Assert.Throws<PackageDatabaseException>(() => RpmBerkeleyDbReader.Read(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_GarbageFileNamedRpmdbSqlite_ThrowsNamingFile()
    {
        using var dir = new TemporaryDirectory();
        string path = Path.Combine(dir.Path, "rpmdb.sqlite");
        File.WriteAllText(path, "this is not a database");

        var e = Assert.Throws<PackageDatabaseException>(() => RpmSqliteDatabaseReader.Read(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EveryByteOfBerkeleyDbCorrupted_NeverThrowsAnythingElse()
    {
        // A flipped byte anywhere must give a clean result or a PackageDatabaseException, never an
        // IndexOutOfRangeException or ArgumentOutOfRangeException from unchecked bounds.
        using var dir = new TemporaryDirectory();
        string path = Path.Combine(dir.Path, "Packages");
        byte[] original = File.ReadAllBytes(Path.Combine(RealData.RpmDb("el8-libuuid-bdb"), "Packages"));
        var random = new Random(7);
        for (int n = 0; n < 300; n++)
        {
            byte[] bytes = (byte[])original.Clone();
            int at = n < 100 ? random.Next(0, 512) : random.Next(0, bytes.Length);
            bytes[at] ^= (byte)random.Next(1, 256);
            File.WriteAllBytes(path, bytes);

            Exception? e = Record.Exception(() => RpmBerkeleyDbReader.Read(path));

            Assert.True(e is null or PackageDatabaseException, $"byte {at}: {e}");
        }
    }
}
