using System.Security.Cryptography;
using System.Text;
using CernVM.Preserve.Core;
using CernVM.Preserve.Storage;

namespace CernVM.Preserve.Search;

/// <summary>The state of an archive's index, for <c>index status</c>.</summary>
public sealed record IndexStatus(
    string Path, bool Temporary, string ArchiveId, string Location, int Versions, int Capsules, long Packages, long Listings, long Generation,
    long SizeBytes, string? JournalThrough, string? RebuiltBecause);

/// <summary>
/// The search index of one archive: derived data under the user's cache directory
/// (<c>$XDG_CACHE_HOME/cvmpreserve/index/&lt;archive id&gt;-&lt;location hash&gt;</c>, else <c>~/.cache/…</c>), never
/// the truth. Opening it checks it (a damaged index, or one of another schema or archive, is rebuilt);
/// <see cref="UpdateAsync"/> brings it up to date with the archive before it answers. When the cache cannot be
/// written, the index is built in a temporary directory, used, and removed (<see cref="Notice"/> says so).
/// </summary>
public sealed class ArchiveIndex : IDisposable
{
    private readonly Archive _archive;
    private readonly IndexStore _store;
    private readonly IndexSync _sync;
    private readonly string? _temporary;
    private readonly CancellationTokenSource _scanCancel;
    private Task<CapsuleScan>? _scan;

    private ArchiveIndex(Archive archive, IndexStore store, string? temporary, string? notice, Task<CapsuleScan> scan, CancellationTokenSource scanCancel)
    {
        _archive = archive;
        _store = store;
        _temporary = temporary;
        _sync = new IndexSync(archive, store);
        _scan = scan;
        _scanCancel = scanCancel;
        Notice = notice;
    }

    /// <summary>What a user should know about where the answers come from: an index rebuilt and why, or a temporary one.</summary>
    public string? Notice { get; }

    public string Path => _store.Path;

    public (string Phase, long Done, long Total) Progress => _sync.Progress;

    /// <summary>The cache directory of every archive's index.</summary>
    public static string CacheRoot()
    {
        string cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x
            ? x
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(cache, "cvmpreserve", "index");
    }

    /// <summary>
    /// Where the index of <paramref name="archiveId"/> at <paramref name="location"/> lives: the archive's id
    /// (archive.json) and a hash of its location (64-bit FNV-1a, 16 hex digits), so that two copies of one archive (a
    /// directory and its S3 twin) each have their own and never mix versions.
    /// </summary>
    /// <remarks>
    /// Not a cryptographic hash: a name in the user's own cache needs none, and SHA-256 loads OpenSSL (its libraries
    /// and configuration, 2-4 ms), which a search otherwise never needs. Indexes named by SHA-256 (12 hex digits,
    /// before) are moved to this name once (<see cref="MoveEarlierPlace"/>).
    /// </remarks>
    public static string PlaceOf(string archiveId, string location, string? cacheRoot = null) =>
        System.IO.Path.Combine(cacheRoot ?? CacheRoot(), $"{archiveId}-{LocationHash(location):x16}");

    private static ulong LocationHash(string location)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(location))
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }

    /// <summary>
    /// An index this software named before by SHA-256 of the location, moved to <paramref name="place"/> when that
    /// does not exist yet, so that an existing index is kept rather than built again. Another process moving it
    /// first, or a move that fails, leaves the index to be opened or made at <paramref name="place"/> as usual.
    /// </summary>
    internal static void MoveEarlierPlace(string archiveId, string location, string place)
    {
        if (Directory.Exists(place))
        {
            return;
        }

        string earlier = System.IO.Path.Combine(
            System.IO.Path.GetDirectoryName(place)!,
            $"{archiveId}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(location)))[..12]}");
        if (!Directory.Exists(earlier))
        {
            return;
        }

        try
        {
            Directory.Move(earlier, place);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Moved by another process meanwhile, or the cache is read-only: the usual open decides.
        }
    }

    /// <summary>
    /// Opens (checks, and if needed remakes) the index of <paramref name="archive"/>; <paramref name="rebuild"/> starts
    /// it anew; <paramref name="cacheRoot"/> replaces <see cref="CacheRoot"/>.
    /// </summary>
    /// <remarks>
    /// The archive's capsule directories are scanned on another core meanwhile (their tokens, or an S3 archive's flat
    /// listing: what the first <see cref="UpdateAsync"/> compares with the registry), since neither waits for the
    /// other and the two take about as long (docs/ARCHITECTURE.md §Search index, "Following the archive").
    /// </remarks>
    /// <exception cref="PreserveException">Neither the cache nor a temporary directory can be written (kind Environment), or another process holds the index too long (kind Conflict).</exception>
    public static ArchiveIndex Open(Archive archive, bool rebuild, string? cacheRoot = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var scanCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<CapsuleScan> scan = Task.Run(() => archive.ScanCapsulesAsync(scanCancel.Token), scanCancel.Token);
        try
        {
            return Open(archive, rebuild, cacheRoot, scan, scanCancel);
        }
        catch
        {
            Abandon(scan, scanCancel);
            throw;
        }
    }

    private static ArchiveIndex Open(Archive archive, bool rebuild, string? cacheRoot, Task<CapsuleScan> scan, CancellationTokenSource scanCancel)
    {
        string id = archive.Descriptor.Id;
        string place = PlaceOf(id, archive.Location, cacheRoot);
        MoveEarlierPlace(id, archive.Location, place);
        TimeSpan wait = TimeSpan.FromMinutes(2);
        string? cacheProblem;
        try
        {
            IndexStore store = IndexStore.Open(place, id, archive.Location, rebuild, wait);
            return new ArchiveIndex(archive, store, null,
                store.RebuiltBecause is string why ? $"the search index at {place} was rebuilt: {why}." : null, scan, scanCancel);
        }
        catch (Exception e) when (e is UnauthorizedAccessException || (e is IOException && !File.Exists(System.IO.Path.Combine(place, "lock"))) || e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 8 or 14 })
        {
            cacheProblem = e.Message;
        }
        catch (IOException e)
        {
            throw new PreserveException(FailureKind.Conflict, $"the search index at {place} is held by another process for more than {wait.TotalMinutes:0} minutes ({e.Message}); try again when it is done.", e);
        }

        string temporary = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cvmpreserve-index-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            IndexStore store = IndexStore.Open(temporary, id, archive.Location, fresh: true, wait);
            return new ArchiveIndex(archive, store, temporary,
                $"the search index cannot be written at {place} ({cacheProblem}): answering from a rebuild in {temporary}, removed afterwards. Set XDG_CACHE_HOME to a writable directory to keep the index.", scan, scanCancel);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new PreserveException(FailureKind.Environment,
                $"the search index can be written neither at {place} ({cacheProblem}) nor in {temporary} ({e.Message}). Set XDG_CACHE_HOME to a writable directory.", e);
        }
    }

    /// <summary>The scan taken while the index opened, until the first update takes it (tests wait for it).</summary>
    internal Task<CapsuleScan>? PendingScan => _scan;

    /// <summary>Takes in what the archive committed since the index was last brought up to date.</summary>
    /// <remarks>The first update uses the scan taken while the index opened; each later one scans the archive again.</remarks>
    public Task<SyncResult> UpdateAsync(CancellationToken cancellationToken) =>
        _sync.RunAsync(Interlocked.Exchange(ref _scan, null) ?? _archive.ScanCapsulesAsync(cancellationToken), cancellationToken);

    // A scan nobody will read: stopped and waited for, so that it never reads a store its caller has disposed.
    private static void Abandon(Task<CapsuleScan> scan, CancellationTokenSource scanCancel)
    {
        scanCancel.Cancel();
        try
        {
            scan.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // cancelled, or failed: nothing reads it, and the failure was the archive's to report to a reader that scanned
        }

        scanCancel.Dispose();
    }

    public SearchResult Search(SearchRequest request)
    {
        using Lucene.Net.Index.DirectoryReader reader = _store.OpenReader();
        return Searcher.Search(reader, _store.Registry, request);
    }

    public IndexStatus Status()
    {
        IReadOnlyList<RegisteredVersion> versions = _store.Registry.Versions();
        string? journal = _store.Registry.Meta("journal");
        return new IndexStatus(
            _store.Path, _temporary is not null, _archive.Descriptor.Id, _archive.Location, versions.Count, versions.Select(v => v.Capsule).Distinct().Count(),
            _store.Registry.PackageRows(), _store.Registry.Listings(), _store.Generation, _store.SizeOnDisk(), string.IsNullOrEmpty(journal) ? null : journal, _store.RebuiltBecause);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _scan, null) is { } unread)
        {
            Abandon(unread, _scanCancel);
        }
        else
        {
            _scanCancel.Dispose();
        }

        _store.Dispose();
        if (_temporary is not null)
        {
            try
            {
                Directory.Delete(_temporary, recursive: true);
            }
            catch (IOException)
            {
                // a temporary directory left behind is harmless; the next run makes its own
            }
        }
    }
}
