using CernVM.Preserve.Cli.Tests;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>
/// The scratch index of which versions' catalogs name a blob, which the fixity pass asks instead of every catalog:
/// each blob gives exactly the versions that named it, in the order they were added, and nothing else.
/// </summary>
public sealed class BlobUsersTests
{
    [Fact]
    public void Of_TheVersionsThatNamedTheBlob_InTheOrderAdded_NoneForABlobNobodyNamed()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["scratch"]);
        VersionState[] versions = [new("a", 1, false), new("a", 2, false), new("b", 1, false)];
        string shared = new('1', 64), onlyFirst = new('2', 64), lastTwo = new('3', 64);
        using var users = new BlobUsers(t["scratch"]);

        users.Add(versions[0], [shared, onlyFirst]);
        users.Add(versions[1], [lastTwo, shared]);
        users.Add(versions[2], [lastTwo, shared]);
        Assert.Throws<InvalidOperationException>(() => users.Of(shared)); // asked before it is indexed
        users.Seal();

        Assert.Equal(versions, users.Of(shared));
        Assert.Equal([versions[0]], users.Of(onlyFirst));
        Assert.Equal([versions[1], versions[2]], users.Of(lastTwo));
        Assert.Empty(users.Of(new string('4', 64)));
        Assert.Throws<InvalidOperationException>(() => users.Add(versions[0], [shared])); // sealed: nothing more
    }

    [Fact]
    public void Of_FromSeveralThreadsAtOnce_EachAnswerWhole()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["scratch"]);
        VersionState[] versions = [.. Enumerable.Range(1, 20).Select(i => new VersionState("c", i, false))];
        string[] blobs = [.. Enumerable.Range(0, 200).Select(i => i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture))];
        using var users = new BlobUsers(t["scratch"]);
        for (int v = 0; v < versions.Length; v++)
        {
            users.Add(versions[v], blobs.Where((_, i) => i % (v + 1) == 0)); // version v names every (v+1)-th blob
        }

        users.Seal();

        Parallel.For(0, blobs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            Assert.Equal(versions.Where((_, v) => i % (v + 1) == 0), users.Of(blobs[i])));
    }

    [Fact]
    public void Of_OneCatalogOnly_ThatOneForEveryBlob_NoDatabaseMade()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["scratch"]);
        var only = new VersionState("a", 1, false);
        using var users = new BlobUsers(t["scratch"]);

        users.Add(only, [new string('1', 64)]);
        Assert.Throws<InvalidOperationException>(() => users.Of(new string('1', 64)));
        users.Seal();

        Assert.Equal([only], users.Of(new string('1', 64)));
        Assert.Equal([only], users.Of(new string('4', 64))); // its catalog's own question answers "no files"
        Assert.Empty(Directory.EnumerateFileSystemEntries(t["scratch"]));
        Assert.Throws<InvalidOperationException>(() => users.Add(only, []));
    }

    [Fact]
    public void Of_NoCatalog_NoVersion()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["scratch"]);
        using var users = new BlobUsers(t["scratch"]);
        users.Seal();
        Assert.Empty(users.Of(new string('1', 64)));
    }
}
