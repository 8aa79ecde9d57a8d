using System.Diagnostics;
using CernVM.Preserve.Core.Storage;

namespace CernVM.Preserve.Storage;

/// <summary>One check of <see cref="StoreValidation"/>: what was checked, whether it held, and what was seen.</summary>
public sealed record StoreCheck(string Name, bool Held, string Detail, TimeSpan Took, bool Applicable = true);

/// <summary>
/// The storage contract of <see cref="IObjectStore"/> checked against a real store (<c>cvmpreserve storage
/// validate</c>): the same properties the contract test suite proves for every implementation, run in a
/// scratch area the caller chose. It writes objects and never deletes any.
/// </summary>
public static class StoreValidation
{
    /// <summary>Runs every check; a check that throws counts as not holding, with the error as its detail.</summary>
    /// <param name="open">Opens a handle on the scratch area; called twice, for a writer and "another process".</param>
    /// <param name="largeSize">The size of the largest round trip: above the store's multipart threshold, if it has one.</param>
    public static async Task<IReadOnlyList<StoreCheck>> RunAsync(Func<CancellationToken, Task<IObjectStore>> open, int largeSize, CancellationToken cancellationToken)
    {
        var results = new List<StoreCheck>();
        await using IObjectStore store = await open(cancellationToken).ConfigureAwait(false);
        await using IObjectStore other = await open(cancellationToken).ConfigureAwait(false);

        async Task Check(string name, Func<Task<string>> body)
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                string detail = await body().ConfigureAwait(false);
                results.Add(new StoreCheck(name, true, detail, Stopwatch.GetElapsedTime(start)));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                results.Add(new StoreCheck(name, false, e.Message, Stopwatch.GetElapsedTime(start)));
            }
        }

        foreach (int size in new[] { 0, 1, 1024 * 1024, largeSize })
        {
            await Check($"round trip of {size:N0} bytes", async () =>
            {
                byte[] content = new byte[size];
                new Random(size).NextBytes(content);
                string key = $"capsules/roundtrip/v{size}/manifest.json";
                Require(await store.PutIfAbsentAsync(key, content, cancellationToken).ConfigureAwait(false), "the first put of a new key did not report that it created it");
                byte[]? back = await other.TryGetAsync(key, cancellationToken).ConfigureAwait(false);
                if (back is null)
                {
                    throw new InvalidDataException("the object is not there after its put");
                }

                Require(back.AsSpan().SequenceEqual(content), $"{back.Length} bytes came back, not the {content.Length} bytes written");
                return "the same bytes came back";
            }).ConfigureAwait(false);
        }

        await Check("a missing key is absent, not an error", async () =>
        {
            Require(await store.TryGetAsync("blobs/sha256/00/missing", cancellationToken).ConfigureAwait(false) is null, "a read of a missing key returned bytes");
            Require(!await store.ExistsAsync("blobs/sha256/00/missing", cancellationToken).ConfigureAwait(false), "a missing key is reported as existing");
            return "read gives nothing, exists gives false";
        }).ConfigureAwait(false);

        await Check("an object is never overwritten", async () =>
        {
            const string key = "journal/2026/overwrite.json";
            Require(await store.PutIfAbsentAsync(key, "first"u8.ToArray(), cancellationToken).ConfigureAwait(false), "the first put did not create the object");
            Require(!await other.PutIfAbsentAsync(key, "second"u8.ToArray(), cancellationToken).ConfigureAwait(false), "a second put of the same key reported success");
            byte[]? back = await store.TryGetAsync(key, cancellationToken).ConfigureAwait(false);
            Require(back is not null && back.AsSpan().SequenceEqual("first"u8), "the object's content changed after a second put");
            return "the second put was refused, the first content kept";
        }).ConfigureAwait(false);

        await Check("racing creates of one key: exactly one wins", async () =>
        {
            bool[] won = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
                (i % 2 == 0 ? store : other).PutIfAbsentAsync("capsules/race/v1/manifest.json", System.Text.Encoding.ASCII.GetBytes($"writer {i}"), cancellationToken)))).ConfigureAwait(false);
            int winners = won.Count(w => w);
            Require(winners == 1, $"{winners} of 8 racing writers were told they created the object");
            return "1 of 8 racing writers won";
        }).ConfigureAwait(false);

        await Check("a blob is visible to others after a flush", async () =>
        {
            string key = "blobs/sha256/ab/ab" + new string('0', 62);
            await store.PutIfAbsentAsync(key, "blob"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await store.FlushAsync(cancellationToken).ConfigureAwait(false);
            Require(await other.ExistsAsync(key, cancellationToken).ConfigureAwait(false), "another handle does not see the blob after the flush");
            return "seen by another handle";
        }).ConfigureAwait(false);

        await Check("listing gives the keys under a prefix in ordinal order", async () =>
        {
            foreach (string k in new[] { "capsules/list/v2/manifest.json", "capsules/list/v10/manifest.json", "capsules/listed-not/v1/manifest.json" })
            {
                await store.PutIfAbsentAsync(k, "x"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            }

            var keys = new List<string>();
            await foreach (string k in other.ListAsync("capsules/list/", cancellationToken).ConfigureAwait(false))
            {
                keys.Add(k);
            }

            string got = string.Join(", ", keys);
            Require(got == "capsules/list/v10/manifest.json, capsules/list/v2/manifest.json", $"listed: {got}");
            return got;
        }).ConfigureAwait(false);

        if (store.Capabilities.Retention is { } policy && store is IObjectRetentionReader reader)
        {
            await Check("every object carries its retention", async () =>
            {
                const string key = "capsules/retention/v1/manifest.json";
                await store.PutIfAbsentAsync(key, "{}"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                ObjectRetention? r = await reader.GetRetentionAsync(key, cancellationToken).ConfigureAwait(false);
                Require(r is not null, "the server reports no retention for an object just written");
                Require(r!.Mode == policy.Mode, $"the object's mode is {r.Mode}, not {policy.Mode}");
                DateTimeOffset least = DateTimeOffset.UtcNow + policy.Period - TimeSpan.FromDays(1);
                Require(r.RetainUntil >= least, $"retained until {r.RetainUntil:u} only, less than {policy.Period.TotalDays:0} days");
                return $"{r.Mode} until {r.RetainUntil:u}";
            }).ConfigureAwait(false);
        }
        else
        {
            results.Add(new StoreCheck("every object carries its retention", true, "not applicable: the store has no Object Lock", TimeSpan.Zero, Applicable: false));
        }

        return results;
    }

    private static void Require(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidDataException(failure);
        }
    }
}
