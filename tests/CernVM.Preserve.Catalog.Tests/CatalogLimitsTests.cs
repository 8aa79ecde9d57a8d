using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Model;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CernVM.Preserve.Catalog.Tests;

/// <summary>
/// A catalog whose counts and ids claim absurd sizes: nothing is sized by a claim (memory grows with the rows
/// really there, which a blob bounds: FORMAT.md §4), and the claim that disagrees is refused by name.
/// </summary>
public sealed class CatalogLimitsTests
{
    private static byte[] Edited(string sql)
    {
        string file = Path.Combine(Path.GetTempPath(), $"cvmp-catalog-limits-{Guid.NewGuid():N}.db");
        try
        {
            File.WriteAllBytes(file, TreeCatalog.Write(TreeCatalogTests.Sample()));
            using (var c = new SqliteConnection($"Data Source={file};Pooling=False;Foreign Keys=False"))
            {
                c.Open();
                using SqliteCommand cmd = c.CreateCommand();
                cmd.CommandText = sql;
                cmd.ExecuteNonQuery();
            }

            return File.ReadAllBytes(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void ReadAll_CatalogClaimingABillionEntries_RefusedNamingTheClaim()
    {
        byte[] catalog = Edited("UPDATE catalog_info SET value = '1000000000' WHERE key = 'entries'");

        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalog.ReadAll(catalog, "blobs/sha256/ab/ab12"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.Contains("blobs/sha256/ab/ab12: catalog_info records 1000000000 entries, the catalog holds 6", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Ids near 2^63 (a hostile catalog numbering from the top): refused by the rules, without a table of that size.</summary>
    [Fact]
    public void ReadAll_IdsNear2To63_RefusedWithoutSizingAnythingByThem()
    {
        byte[] catalog = Edited("UPDATE entries SET id = 9223372036854775000 + id WHERE id > 1");

        PreserveException e = Assert.Throws<PreserveException>(() => TreeCatalog.ReadAll(catalog, "catalog"));

        Assert.Equal(FailureKind.Integrity, e.Kind);
        Assert.StartsWith("catalog: ", e.Message, StringComparison.Ordinal); // an extent or a row naming an entry that is not there
    }

    /// <summary>A file claiming 2^62 bytes with one extent: a catalog may say so (a sparse file); a reader sizes nothing by it.</summary>
    [Fact]
    public void ReadAll_FileClaiming2To62Bytes_ReadWithoutAllocatingIt()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[] catalog = Edited("UPDATE entries SET size = 4611686018427387904 WHERE id = 2");

        List<TreeEntry> back = TreeCatalog.ReadAll(catalog, "catalog");

        Assert.Equal(4611686018427387904, back[1].Size);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20);
    }
}
