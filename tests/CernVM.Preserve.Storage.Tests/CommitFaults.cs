using System.Runtime.CompilerServices;
using System.Text;
using CernVM.Preserve.Core;
using CernVM.Preserve.Core.Format;
using CernVM.Preserve.Core.Model;
using CernVM.Preserve.Core.Storage;
using Xunit;

namespace CernVM.Preserve.Storage.Tests;

/// <summary>What a store was asked to do, in order.</summary>
public enum StoreOp
{
    Put,
    Flush,
    List,
    Get,
    Exists,
}

/// <summary>One call a <see cref="FaultingStore"/> saw: its place in the order, what, on which key (the prefix of a listing), and a put's answer.</summary>
public sealed record StoreCall(int Index, StoreOp Op, string Key, bool? Created)
{
    public override string ToString() => $"{Index} {Op} {Key}{(Created is bool c ? c ? " created" : " existed" : "")}";
}

/// <summary>
/// An <see cref="IObjectStore"/> in front of a real one that records every call and can make the Nth write
/// (put or flush) fail as a crash would: before the write reaches the store (the process died before
/// sending it) or after (the write happened; the process died before it learned so). From then on every
/// call fails: a dead process writes nothing more. Hooks before and after each call let a test decide the
/// interleaving of two writers.
/// </summary>
public sealed class FaultingStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly List<StoreCall> _log;
    private readonly int _failAtWrite;
    private readonly bool _failAfterWriting;
    private int _writes;
    private volatile bool _dead;

    /// <param name="inner">The real store.</param>
    /// <param name="log">Where calls are recorded (may be shared by several stores, to see one order).</param>
    /// <param name="failAtWrite">The write (1-based, puts and flushes counted together) that fails; 0 for none.</param>
    /// <param name="failAfterWriting">Whether the failing write first reaches the real store.</param>
    public FaultingStore(IObjectStore inner, List<StoreCall> log, int failAtWrite = 0, bool failAfterWriting = false)
    {
        _inner = inner;
        _log = log;
        _failAtWrite = failAtWrite;
        _failAfterWriting = failAfterWriting;
    }

    /// <summary>Awaited before each call reaches the real store.</summary>
    public Func<StoreOp, string, Task>? Before { get; init; }

    /// <summary>Called after each call returned from the real store (or failed).</summary>
    public Action<StoreOp, string>? After { get; init; }

    /// <summary>Whether the injected failure happened.</summary>
    public bool Crashed => _dead;

    public string Location => _inner.Location;

    public StoreCapabilities Capabilities => _inner.Capabilities;

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) =>
        CallAsync(StoreOp.Exists, key, () => _inner.ExistsAsync(key, cancellationToken));

    public Task<byte[]?> TryGetAsync(string key, CancellationToken cancellationToken) =>
        CallAsync(StoreOp.Get, key, () => _inner.TryGetAsync(key, cancellationToken));

    public Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        CallAsync(StoreOp.Put, key, () => _inner.PutIfAbsentAsync(key, content, cancellationToken));

    public Task FlushAsync(CancellationToken cancellationToken) =>
        CallAsync(StoreOp.Flush, "", async () =>
        {
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            return true;
        });

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A listing is read whole before it is handed out: the hooks see it as one call.
        List<string> keys = await CallAsync(StoreOp.List, prefix, async () =>
        {
            var all = new List<string>();
            await foreach (string k in _inner.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                all.Add(k);
            }

            return all;
        }).ConfigureAwait(false);
        foreach (string k in keys)
        {
            yield return k;
        }
    }

    /// <summary>The real store is not disposed: a test opens a new handle to look at what a crash left.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<T> CallAsync<T>(StoreOp op, string key, Func<Task<T>> call)
    {
        if (_dead)
        {
            throw new StorageException($"{Location}: the writer crashed before this {op} of '{key}'.", key);
        }

        if (Before is not null)
        {
            await Before(op, key).ConfigureAwait(false);
        }

        try
        {
            bool write = op is StoreOp.Put or StoreOp.Flush;
            bool fail = write && Interlocked.Increment(ref _writes) == _failAtWrite;
            if (fail && !_failAfterWriting)
            {
                _dead = true;
                Record(op, key, null);
                throw new StorageException($"{Location}: injected crash at write {_failAtWrite} ({op} '{key}'), before it was sent.", key);
            }

            T result = await call().ConfigureAwait(false);
            Record(op, key, op == StoreOp.Put ? (bool)(object)result! : null);
            if (fail)
            {
                _dead = true;
                throw new StorageException($"{Location}: injected crash at write {_failAtWrite} ({op} '{key}'), after it was done.", key);
            }

            return result;
        }
        finally
        {
            After?.Invoke(op, key);
        }
    }

    private void Record(StoreOp op, string key, bool? created)
    {
        lock (_log)
        {
            _log.Add(new StoreCall(_log.Count, op, key, created));
        }
    }
}

/// <summary>
/// Grants two writers their calls in a given order, one call at a time: a schedule such as "ABBA" lets A's
/// first call run, then B's first two, then A's second; a writer whose turn comes after it finished is
/// skipped, and once the schedule is used up both run freely.
/// </summary>
public sealed class Interleaving(string schedule)
{
    private readonly object _lock = new();
    private readonly HashSet<char> _done = [];
    private int _position;
    private char _running;

    public async Task TurnAsync(char writer)
    {
        var timeout = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            lock (_lock)
            {
                while (_position < schedule.Length && _done.Contains(schedule[_position]))
                {
                    _position++;
                }

                if (_position >= schedule.Length)
                {
                    return;
                }

                if (_running == '\0' && schedule[_position] == writer)
                {
                    _running = writer;
                    return;
                }
            }

            if (timeout.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"writer {writer} waited 60 s for its turn in '{schedule}' at {_position}.");
            }

            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    public void Release(char writer)
    {
        lock (_lock)
        {
            if (_running == writer)
            {
                _running = '\0';
                _position++;
            }
        }
    }

    public void Finished(char writer)
    {
        lock (_lock)
        {
            _done.Add(writer);
            if (_running == writer)
            {
                _running = '\0';
            }
        }
    }

    /// <summary>Every order of <paramref name="a"/> turns of A and <paramref name="b"/> turns of B.</summary>
    public static IEnumerable<string> All(int a, int b) =>
        a == 0 ? [new string('B', b)]
        : b == 0 ? [new string('A', a)]
        : All(a - 1, b).Select(s => "A" + s).Concat(All(a, b - 1).Select(s => "B" + s));
}

/// <summary>
/// The commit of a version (FORMAT.md §8) under crashes at every write and under two racing writers, against
/// any store: <paramref name="open"/> gives a new handle onto the archive at a place (a directory, an s3://
/// prefix), as a new process would open it. The writer signs, so a complete version must be signed too.
/// </summary>
public sealed class CommitFaults(Func<string, Task<IObjectStore>> open)
{
    public static readonly CapsuleName Capsule = CapsuleName.Parse("crash");

    private static readonly NSec.Cryptography.Key SigningKey = NSec.Cryptography.Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519);

    /// <summary>A new archive at <paramref name="place"/> holding v1 of <see cref="Capsule"/>, committed without faults.</summary>
    public async Task PrepareAsync(string place)
    {
        await using Archive archive = await Archive.InitAsync(await open(place), null, default);
        await WriteVersionAsync(archive, "first writer", 1);
    }

    /// <summary>
    /// What one snapshot writes after its tree is read: content blobs, the "catalog" (here a blob listing the
    /// content blobs, one id a line, so that a checker can find them), the commit, the journal event.
    /// </summary>
    public static async Task<LoadedManifest> WriteVersionAsync(Archive archive, string writer, int seed)
    {
        var catalog = new StringBuilder();
        for (int i = 0; i < 3; i++)
        {
            (BlobId id, _) = await archive.Blobs.PutAsync(Encoding.UTF8.GetBytes($"content {i} of {writer}, seed {seed}"), default);
            catalog.Append(id).Append('\n');
        }

        (BlobId catalogId, _) = await archive.Blobs.PutAsync(Encoding.UTF8.GetBytes(catalog.ToString()), default);
        LoadedManifest m = await archive.CommitAsync(
            new Manifest
            {
                Capsule = Capsule.Value,
                Created = ArchiveTime.Format(DateTimeOffset.UtcNow),
                Producer = new Producer("commit-fault-test", "1", "host", "user"),
                Tree = new TreeSummary { Catalog = catalogId.ToString(), Source = writer, Entries = 3 },
                Statistics = new SnapshotStatistics(),
            },
            SigningKey,
            default);
        await archive.WriteEventAsync(
            new PreservationEvent
            {
                EventId = Guid.NewGuid().ToString("N"),
                EventType = "ingestion",
                DateTime = ArchiveTime.Format(DateTimeOffset.UtcNow),
                Agent = new Producer("commit-fault-test", "1", "host", "user"),
                Outcome = "success",
                Objects = [new EventObject(m.Capsule.Value, m.Version, m.Sha256)],
                Detail = writer,
            },
            default);
        return m;
    }

    /// <summary>Commits v2 at <paramref name="place"/> (prepared) through a recording store, without faults, and returns the calls.</summary>
    public async Task<List<StoreCall>> CleanRunAsync(string place)
    {
        var log = new List<StoreCall>();
        await using Archive archive = await Archive.OpenAsync(new FaultingStore(await open(place), log), default);
        await WriteVersionAsync(archive, "second writer", 2);
        return log;
    }

    /// <summary>
    /// FORMAT.md §8 read off the calls of one commit: every blob put, then a flush, then the manifest, the
    /// signature, a flush, the sidecar (the last object of the version), a flush, the journal event.
    /// </summary>
    public static void AssertCommitOrder(List<StoreCall> log, int version)
    {
        string dir = $"capsules/{Capsule}/v{version}/";
        int Put(string key) => log.Single(c => c.Op == StoreOp.Put && c.Key == key && c.Created == true).Index;
        bool FlushBetween(int from, int to) => log.Any(c => c.Op == StoreOp.Flush && c.Index > from && c.Index < to);

        int manifest = Put(dir + "manifest.json");
        int signature = Put(dir + "manifest.json.sig");
        int sidecar = Put(dir + "manifest.json.sha256");
        int lastBlob = log.Where(c => c.Op == StoreOp.Put && c.Key.StartsWith("blobs/", StringComparison.Ordinal)).Max(c => c.Index);
        int journal = log.Single(c => c.Op == StoreOp.Put && c.Key.StartsWith(ArchiveLayout.JournalPrefix, StringComparison.Ordinal)).Index;
        string order = string.Join("\n", log);

        Assert.True(lastBlob < manifest && FlushBetween(lastBlob, manifest), "every blob durable before the manifest:\n" + order);
        Assert.True(manifest < signature, "the signature after the manifest:\n" + order);
        Assert.True(signature < sidecar && FlushBetween(signature, sidecar), "the manifest and signature durable before the sidecar:\n" + order);
        Assert.Equal(sidecar, log.Where(c => c.Op == StoreOp.Put && c.Key.StartsWith(dir, StringComparison.Ordinal)).Max(c => c.Index));
        Assert.True(sidecar < journal && FlushBetween(sidecar, journal), "the sidecar durable before the journal event:\n" + order);
    }

    /// <summary>The writes (puts and flushes) of <paramref name="log"/>, 1-based as <see cref="FaultingStore"/> counts them.</summary>
    public static List<StoreCall> Writes(List<StoreCall> log) => [.. log.Where(c => c.Op is StoreOp.Put or StoreOp.Flush)];

    /// <summary>
    /// Commits v2 at <paramref name="place"/> (prepared) with a crash at write <paramref name="n"/>, then opens
    /// the archive as a new process would and checks it.
    /// </summary>
    /// <returns>True when v2 exists (complete), false when the archive holds only v1.</returns>
    public async Task<bool> CrashAtAsync(string place, int n, bool afterWriting)
    {
        var log = new List<StoreCall>();
        var faulting = new FaultingStore(await open(place), log, n, afterWriting);
        Archive archive = await Archive.OpenAsync(faulting, default);
        await Assert.ThrowsAsync<StorageException>(() => WriteVersionAsync(archive, "second writer", 2));
        Assert.True(faulting.Crashed);
        return (await CheckAllAsync(place)).Any(m => m.Version == 2);
    }

    /// <summary>
    /// Opens the archive at <paramref name="place"/> anew and checks FORMAT.md §5.1 and §8 for every version:
    /// a version that looks complete (it has its sidecar) reads back (sidecar, schema, version), is signed with a
    /// signature that verifies, and every blob it needs is present and intact; v1 is untouched.
    /// </summary>
    /// <returns>The complete versions.</returns>
    public async Task<IReadOnlyList<LoadedManifest>> CheckAllAsync(string place)
    {
        await using Archive archive = await Archive.OpenAsync(await open(place), default);
        IReadOnlyList<VersionListing> versions = await archive.ListVersionsAsync(Capsule, default);
        Assert.True(versions.Count > 0 && versions[0] is { Version: 1, Complete: true }, $"{place}: v1 is damaged");
        var complete = new List<LoadedManifest>();
        foreach (VersionListing v in versions.Where(v => v.Complete))
        {
            LoadedManifest m = await archive.ReadManifestAsync(Capsule, v.Version, default);
            Assert.True(m.Signature is not null, $"{place}: v{v.Version} looks complete but is not signed (its writer signs)");
            byte[] catalog = await archive.Blobs.GetAsync(BlobId.Parse(m.Manifest.Tree.Catalog), default);
            foreach (string line in Encoding.UTF8.GetString(catalog).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.NotNull(await archive.Blobs.GetAsync(BlobId.Parse(line), default));
            }

            complete.Add(m);
        }

        return complete;
    }

    /// <summary>
    /// Two writers commit at once, their calls on the capsule's keys (the listing that picks the next number,
    /// the manifest, the signature, the sidecar) granted in the order <paramref name="schedule"/> says. Both
    /// must end with a complete version of their own, under different numbers.
    /// </summary>
    public async Task RaceAsync(string place, string schedule)
    {
        var order = new Interleaving(schedule);
        var log = new List<StoreCall>();
        string capsuleKeys = ArchiveLayout.CapsulePrefix(Capsule);

        async Task<LoadedManifest> Writer(char who)
        {
            try
            {
                var store = new FaultingStore(await open(place), log)
                {
                    Before = (op, key) => key.StartsWith(capsuleKeys, StringComparison.Ordinal) ? order.TurnAsync(who) : Task.CompletedTask,
                    After = (op, key) =>
                    {
                        if (key.StartsWith(capsuleKeys, StringComparison.Ordinal))
                        {
                            order.Release(who);
                        }
                    },
                };
                await using Archive archive = await Archive.OpenAsync(store, default);
                return await WriteVersionAsync(archive, "writer " + who, who);
            }
            finally
            {
                order.Finished(who);
            }
        }

        LoadedManifest[] won = await Task.WhenAll(Task.Run(() => Writer('A')), Task.Run(() => Writer('B'))).WaitAsync(TimeSpan.FromMinutes(2));
        string calls = $"schedule {schedule}:\n" + string.Join("\n", log);
        Assert.True(won[0].Version != won[1].Version, "both writers claimed one number: " + calls);
        IReadOnlyList<LoadedManifest> complete = await CheckAllAsync(place);
        foreach ((LoadedManifest m, char who) in won.Zip("AB"))
        {
            LoadedManifest stored = Assert.Single(complete, c => c.Version == m.Version);
            Assert.True(stored.Manifest.Tree.Source == "writer " + who, $"v{m.Version} holds {stored.Manifest.Tree.Source}'s manifest, not writer {who}'s: " + calls);
            Assert.Equal(m.Sha256, stored.Sha256);
        }
    }
}
