using System.Runtime.CompilerServices;
using CernVM.Preserve.Cli.Tests;
using CernVM.Preserve.Core.Storage;
using CernVM.Preserve.Storage;
using Xunit;

namespace CernVM.Preserve.Audit.Tests;

/// <summary>Tests that point the process's temporary directory (TMPDIR) elsewhere run alone, so that no other audit's scratch lands there.</summary>
[CollectionDefinition(nameof(AuditTemporaryDirectory), DisableParallelization = true)]
public sealed class AuditTemporaryDirectory;

/// <summary>
/// Where the audit reads its catalogs (<see cref="AuditOptions.CatalogMemoryBudget"/>): in memory while the budget
/// lasts, from files in its scratch directory beyond it. Seen from inside, while the blobs are being checked: the
/// catalog files in the scratch directory of an audit run with a TMPDIR of the test's own.
/// </summary>
[Collection(nameof(AuditTemporaryDirectory))]
public sealed class CatalogMemoryBudgetTests : IClassFixture<GoodArchive>, IDisposable
{
    private readonly GoodArchive _good;
    private readonly string? _previous = Environment.GetEnvironmentVariable("TMPDIR");
    private readonly string _directory = Directory.CreateTempSubdirectory("cvmp-audit-tmp-").FullName;

    public CatalogMemoryBudgetTests(GoodArchive good)
    {
        _good = good;
        Environment.SetEnvironmentVariable("TMPDIR", _directory);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("TMPDIR", _previous);
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("default", 0)]
    [InlineData("none", 3)]
    [InlineData("first catalog", 2)]
    public async Task AuditDeep_CatalogsBeyondTheBudget_AreReadFromFilesTheOthersInMemory(string budget, int inFiles)
    {
        using TempDir t = _good.Copy(out string archive);
        long bytes = budget switch
        {
            "default" => AuditOptions.DefaultCatalogMemoryBudget,
            "none" => 0,
            _ => long.Parse(BadArchives.Query(archive, "good", 1, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")[0]),
        };
        var seen = new List<int>();
        await using var store = new WatchedStore(new FileSystemObjectStore(archive), () =>
        {
            lock (seen)
            {
                seen.Add(CatalogFiles());
            }
        });

        AuditReport report = await ArchiveAuditor.RunAsync(store, new AuditOptions(Scope: FixityScope.Deep, CatalogMemoryBudget: bytes), CancellationToken.None);

        Assert.Empty(report.Findings);
        Assert.NotEmpty(seen);
        Assert.Equal(inFiles, seen.Max());
        Assert.Empty(Directory.GetDirectories(_directory, "cvmpreserve-audit-*")); // the scratch removed at the end
    }

    // Catalog files (not the blob users' index) in every audit scratch directory under the private TMPDIR.
    private int CatalogFiles() => Directory.GetDirectories(_directory, "cvmpreserve-audit-*")
        .SelectMany(d => Directory.GetFiles(d, "*.db"))
        .Count(f => Path.GetFileName(f) != "blob-users.db");

    /// <summary>The real store, calling <c>onRead</c> before each read of an object under <c>blobs/</c>.</summary>
    private sealed class WatchedStore(IObjectStore inner, Action onRead) : IObjectStore
    {
        public string Location => inner.Location;

        public StoreCapabilities Capabilities => inner.Capabilities;

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => inner.ExistsAsync(key, cancellationToken);

        public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
            inner.PutIfAbsentAsync(key, content, cancellationToken);

        public Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken)
        {
            Watch(key);
            return inner.TryGetAsync(key, cancellationToken);
        }

        public Task<RentedBytes?> TryGetRentedAsync(string key, CancellationToken cancellationToken)
        {
            Watch(key);
            return inner.TryGetRentedAsync(key, cancellationToken);
        }

        public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (string key in inner.ListAsync(prefix, cancellationToken))
            {
                yield return key;
            }
        }

        public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private void Watch(string key)
        {
            if (key.StartsWith("blobs/", StringComparison.Ordinal))
            {
                onRead();
            }
        }
    }
}
