using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using CernVM.Preserve.Curation.Packages;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CernVM.Preserve.Curation.Tests.Packages;

/// <summary>
/// Writes real Berkeley DB hash files with libdb's own db5.3_load, in both byte orders and several page
/// sizes, holding the 129 real headers of the Mariner rpmdb the way rpm keys them, and reads them back.
/// </summary>
public sealed class BerkeleyDbLayoutTests
{
    private const string MissingDbLoad =
        "This test writes Berkeley DB files with libdb's own loader: install it with 'apt-get install -y --no-install-recommends db5.3-util' (Debian package 'db5.3-util', which provides db5.3_load).";

    [Theory]
    [InlineData(512, false)]
    [InlineData(512, true)]
    [InlineData(4096, true)]
    [InlineData(16384, false)]
    [InlineData(65536, false)]
    [InlineData(65536, true)]
    public void Read_PackagesWrittenByLibdb_GivesSamePackagesAsSqlite(int pageSize, bool bigEndian)
    {
        Assert.True(File.Exists("/usr/bin/db5.3_load"), MissingDbLoad);
        string sqlite = RealData.SqliteRpmDbCopy();
        using var dir = new TemporaryDirectory();
        string packages = Path.Combine(dir.Path, "Packages");
        WritePackages(packages, ReadBlobs(sqlite), pageSize, bigEndian);

        PackageDatabase fromBdb = RpmBerkeleyDbReader.Read(packages);
        PackageDatabase fromSqlite = RpmSqliteDatabaseReader.Read(sqlite);

        Assert.Equal(PackageTsv.Lines(fromSqlite), PackageTsv.Lines(fromBdb));
        Assert.Equal(
            fromSqlite.Packages.Select(p => (p.HeaderSha256, p.Requires.Count, p.InstallTime)),
            fromBdb.Packages.Select(p => (p.HeaderSha256, p.Requires.Count, p.InstallTime)));
    }

    private static List<(uint Number, byte[] Blob)> ReadBlobs(string sqlite)
    {
        using var connection = new SqliteConnection($"Data Source={sqlite};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT hnum, blob FROM Packages ORDER BY hnum";
        using SqliteDataReader reader = command.ExecuteReader();
        var blobs = new List<(uint, byte[])>();
        while (reader.Read())
        {
            blobs.Add(((uint)reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }

        return blobs;
    }

    // rpm's Packages: the key is the header number as a host-order uint32; record 0 holds the next free
    // header number, in the same order.
    private static void WritePackages(string path, List<(uint Number, byte[] Blob)> headers, int pageSize, bool bigEndian)
    {
        var dump = new StringBuilder("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n");
        void Item(ReadOnlySpan<byte> bytes) => dump.Append(' ').Append(Convert.ToHexStringLower(bytes)).Append('\n');
        byte[] Key(uint n)
        {
            byte[] k = new byte[4];
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(k, n);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(k, n);
            }

            return k;
        }

        Item(Key(0));
        Item(Key(headers.Max(h => h.Number) + 1));
        foreach ((uint number, byte[] blob) in headers)
        {
            Item(Key(number));
            Item(blob);
        }

        dump.Append("DATA=END\n");
        string input = path + ".dump";
        File.WriteAllText(input, dump.ToString());

        var start = new ProcessStartInfo("/usr/bin/db5.3_load") { RedirectStandardError = true };
        foreach (string a in (string[])["-c", $"db_pagesize={pageSize}", "-c", $"db_lorder={(bigEndian ? 4321 : 1234)}", "-f", input, path])
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"db5.3_load failed: {error}");
    }
}
