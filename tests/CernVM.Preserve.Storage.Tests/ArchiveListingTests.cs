using System.Text;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>
/// <see cref="Archive.ListAllVersionsAsync"/>: every version directory of every capsule from one listing, the same
/// answer as <see cref="Archive.ListCapsulesAsync"/> and <see cref="Archive.ListVersionsAsync"/> per capsule; and
/// <see cref="Archive.ListVersionDirectoriesAsync"/>, the same directories read level by level on a directory.
/// </summary>
public sealed class ArchiveListingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cvmp-listing-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task CommitAsync(Archive archive, string capsule, string source)
    {
        (BlobId catalog, _) = await archive.Blobs.PutAsync(Encoding.UTF8.GetBytes($"catalog of {capsule}, {source}"), default);
        await archive.CommitAsync(
            new Manifest
            {
                Capsule = capsule,
                Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
                Producer = new Producer("listing-test", "1", "host", "user"),
                Tree = new TreeSummary { Catalog = catalog.ToString(), Source = source, Entries = 1 },
                Statistics = new SnapshotStatistics(),
            },
            null,
            default);
    }

    /// <summary>beta v1-v2, alpha v1-v3 with v3 lacking its sidecar, alpha-2 v1 (a name that sorts between), and stray keys.</summary>
    private async Task<Archive> ArchiveAsync()
    {
        Archive archive = await Archive.InitAsync(new FileSystemObjectStore(_root), null, default);
        await CommitAsync(archive, "beta", "b1");
        await CommitAsync(archive, "beta", "b2");
        await CommitAsync(archive, "alpha", "a1");
        await CommitAsync(archive, "alpha", "a2");
        await CommitAsync(archive, "alpha", "a3");
        await CommitAsync(archive, "alpha-2", "c1");
        File.Delete(Path.Combine(_root, ArchiveLayout.ManifestSidecar(CapsuleName.Parse("alpha"), 3)));
        await archive.Store.PutIfAbsentAsync("capsules/readme", "a file beside the capsules"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/Not_A_Name/v1/manifest.json", "{}\n"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/gamma/notes.txt", "beside the version directories"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/epsilon/x1/manifest.json", "{}\n"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/eta/v0/manifest.json", "{}\n"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/beta/v2/deeper/manifest.json", "{}\n"u8.ToArray(), default);
        await archive.Store.PutIfAbsentAsync("capsules/theta/v7/manifest.json", "{}\n"u8.ToArray(), default);
        return archive;
    }

    [Fact]
    public async Task ListAllVersions_SeveralCapsules_ListsEachVersionDirectoryByNameThenVersion()
    {
        await using Archive archive = await ArchiveAsync();

        IReadOnlyList<VersionListing> all = await archive.ListAllVersionsAsync(default);

        Assert.Equal(
            ["alpha@v1 complete", "alpha@v2 complete", "alpha@v3 incomplete", "alpha-2@v1 complete", "beta@v1 complete", "beta@v2 complete", "theta@v7 incomplete"],
            all.Select(v => $"{v.Capsule}@v{v.Version} {(v.Complete ? "complete" : "incomplete")}"));
        Assert.All(all, v => Assert.False(v.Signed));
    }

    [Fact]
    public async Task ListAllVersions_SameAnswerAsListingEachCapsule()
    {
        await using Archive archive = await ArchiveAsync();

        var each = new List<VersionListing>();
        foreach (CapsuleName c in await archive.ListCapsulesAsync(default))
        {
            each.AddRange(await archive.ListVersionsAsync(c, default));
        }

        Assert.Equal(each, await archive.ListAllVersionsAsync(default));
    }

    [Fact]
    public async Task ListAllVersions_EmptyArchive_ListsNothing()
    {
        await using Archive archive = await Archive.InitAsync(new FileSystemObjectStore(_root), null, default);

        Assert.Empty(await archive.ListAllVersionsAsync(default));
    }

    [Fact]
    public async Task ListVersionDirectories_Directory_TheSameDirectoriesReadLevelByLevel_CompletenessAskedApart()
    {
        await using Archive archive = await ArchiveAsync();
        Directory.CreateDirectory(Path.Combine(_root, "capsules", "delta", "v1")); // a claim's directory, empty: a directory store names it too

        IReadOnlyList<CapsuleDirectories> capsules = await archive.ListVersionDirectoriesAsync(new Dictionary<CapsuleName, string>(), default);

        Assert.True(archive.Store.Capabilities.CheapChildListing);
        Assert.All(capsules, c => Assert.Null(c.Token)); // made less than the settle time ago
        var flat = (await archive.ListAllVersionsAsync(default)).Select(v => (v.Capsule, v.Version, (bool?)v.Complete)).ToList();
        flat.Insert(flat.FindIndex(v => v.Capsule.Value == "theta"), (CapsuleName.Parse("delta"), 1, false));
        var walked = new List<(CapsuleName, int, bool?)>();
        foreach (VersionDirectory d in capsules.SelectMany(c => c.Versions!))
        {
            Assert.Null(d.Complete);
            walked.Add((d.Capsule, d.Version, await archive.IsCompleteAsync(d.Capsule, d.Version, default)));
        }

        Assert.Equal(flat, walked);
        // Every capsule directory, those without a version directory too (epsilon, eta, gamma); never a name that is not a capsule's.
        Assert.Equal(["alpha", "alpha-2", "beta", "delta", "epsilon", "eta", "gamma", "theta"], capsules.Select(c => c.Capsule.Value));
    }

    [Fact]
    public async Task ListVersionDirectories_KnownTokens_OnlyCapsulesWhoseDirectoryChangedAreRead()
    {
        await (await ArchiveAsync()).DisposeAsync();
        await using Archive archive = await Archive.OpenAsync(new FileSystemObjectStore(_root) { TokenSettleTime = TimeSpan.Zero }, default);
        IReadOnlyList<CapsuleDirectories> first = await archive.ListVersionDirectoriesAsync(new Dictionary<CapsuleName, string>(), default);
        Assert.All(first, c => Assert.NotNull(c.Token));
        Dictionary<CapsuleName, string> known = first.ToDictionary(c => c.Capsule, c => c.Token!);

        await CommitAsync(archive, "beta", "b3");

        for (int v = 4; v <= 11; v++)
        {
            await CommitAsync(archive, "beta", $"b{v}"); // v10 and v11 sort before v2 as names: listed in version order all the same
        }

        IReadOnlyList<CapsuleDirectories> second = await archive.ListVersionDirectoriesAsync(known, default);

        Assert.Equal(["beta"], second.Where(c => c.Versions is not null).Select(c => c.Capsule.Value));
        Assert.Equal(Enumerable.Range(1, 11), second.Single(c => c.Capsule.Value == "beta").Versions!.Select(v => v.Version));
        Assert.NotEqual(known[CapsuleName.Parse("beta")], second.Single(c => c.Capsule.Value == "beta").Token);
        Assert.Equal(first.Select(c => (c.Capsule, c.Token)).Where(c => c.Capsule.Value != "beta"), second.Select(c => (c.Capsule, c.Token)).Where(c => c.Capsule.Value != "beta"));
    }

    [Fact]
    public async Task ListVersionDirectories_FromAScanTakenBefore_TheArchiveAsTheScanSawIt_ReadAgainOnceItChanged()
    {
        await (await ArchiveAsync()).DisposeAsync();
        await using Archive archive = await Archive.OpenAsync(new FileSystemObjectStore(_root) { TokenSettleTime = TimeSpan.Zero }, default);
        Dictionary<CapsuleName, string> known = (await archive.ListVersionDirectoriesAsync(new Dictionary<CapsuleName, string>(), default))
            .ToDictionary(c => c.Capsule, c => c.Token!);

        CapsuleScan scan = await archive.ScanCapsulesAsync(default);
        await CommitAsync(archive, "beta", "b3"); // after the scan, before its directories are read
        Directory.CreateDirectory(Path.Combine(_root, "capsules", "zeta", "v1"));

        // The scan is a moment: beta's token was the one known then, so beta is not read, and zeta did not exist yet.
        IReadOnlyList<CapsuleDirectories> fromScan = await archive.ListVersionDirectoriesAsync(scan, known, default);
        Assert.All(fromScan, c => Assert.Null(c.Versions));
        Assert.Equal(known.Keys.Order(), fromScan.Select(c => c.Capsule));
        Assert.Equal(known, fromScan.ToDictionary(c => c.Capsule, c => c.Token!));

        // The next scan sees both changes, with the tokens taken after them.
        IReadOnlyList<CapsuleDirectories> next = await archive.ListVersionDirectoriesAsync(await archive.ScanCapsulesAsync(default), known, default);
        Assert.Equal(["beta", "zeta"], next.Where(c => c.Versions is not null).Select(c => c.Capsule.Value));
        Assert.Equal([1, 2, 3], next.Single(c => c.Capsule.Value == "beta").Versions!.Select(v => v.Version));
        Assert.NotEqual(known[CapsuleName.Parse("beta")], next.Single(c => c.Capsule.Value == "beta").Token);
    }

    [Fact]
    public async Task ListVersionDirectories_NullScan_Refused()
    {
        await using Archive archive = await ArchiveAsync();

        await Assert.ThrowsAsync<ArgumentNullException>(() => archive.ListVersionDirectoriesAsync(null!, new Dictionary<CapsuleName, string>(), default));
    }

    [Fact]
    public async Task ListVersionDirectories_StoreListedFlat_FromAScan_TheScanIsTheListing()
    {
        await (await ArchiveAsync()).DisposeAsync();
        var flatStore = new AnsweringStore(new FileSystemObjectStore(_root)) { CapabilitiesAnswer = new StoreCapabilities(null, AtomicCreate: true, CheapChildListing: false) };
        await using Archive archive = await Archive.OpenAsync(flatStore, default);
        IReadOnlyList<VersionListing> before = await archive.ListAllVersionsAsync(default);

        CapsuleScan scan = await archive.ScanCapsulesAsync(default);
        await CommitAsync(archive, "beta", "b3");

        Assert.Equal(
            before.Select(v => new VersionDirectory(v.Capsule, v.Version, v.Complete)),
            (await archive.ListVersionDirectoriesAsync(scan, new Dictionary<CapsuleName, string>(), default)).SelectMany(c => c.Versions!));
    }

    [Fact]
    public async Task ListVersionDirectories_StoreListedFlat_OneListingThatTellsCompleteness_NoTokens()
    {
        await (await ArchiveAsync()).DisposeAsync();
        var flatStore = new AnsweringStore(new FileSystemObjectStore(_root)) { CapabilitiesAnswer = new StoreCapabilities(null, AtomicCreate: true, CheapChildListing: false) };
        await using Archive archive = await Archive.OpenAsync(flatStore, default);

        IReadOnlyList<CapsuleDirectories> capsules = await archive.ListVersionDirectoriesAsync(new Dictionary<CapsuleName, string>(), default);

        Assert.All(capsules, c => Assert.Null(c.Token));
        Assert.Equal(
            (await archive.ListAllVersionsAsync(default)).Select(v => new VersionDirectory(v.Capsule, v.Version, v.Complete)),
            capsules.SelectMany(c => c.Versions!));
        Assert.Contains(new VersionDirectory(CapsuleName.Parse("alpha"), 3, false), capsules.SelectMany(c => c.Versions!));
    }
}
