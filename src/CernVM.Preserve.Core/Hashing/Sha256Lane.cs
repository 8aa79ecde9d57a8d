using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Core.Hashing;

/// <summary>
/// One SHA-256 computation fed in parts, which can be fed side by side with a second one over other bytes
/// (<see cref="AppendBoth"/>): where the archive hashes the same bytes twice — a chunk's blob id and its file's
/// content id, a bundle's id and each member file's (FORMAT.md §4, §6.2) — the two run interleaved on the
/// processor's SHA extensions, a third faster than one after the other (one stream waits on the latency of
/// each round, two keep the unit busy). The block functions are sha256_lanes.c, linked into the executable;
/// on a processor without the extensions, or where that library is absent, each lane is .NET's SHA-256 and
/// the two are fed one after the other. Either way the digest is SHA-256's (FIPS 180-4). Not thread-safe;
/// reusable: <see cref="Finish"/> starts the next computation.
/// </summary>
public sealed partial class Sha256Lane : IDisposable
{
    private const string Library = "libcvmpreserve_sha256";

    private static readonly uint[] Initial =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

    // Accelerated: the state words and the bytes of a block not yet complete. Otherwise: .NET's hash.
    private readonly uint[]? _state;
    private readonly byte[]? _pending;
    private readonly IncrementalHash? _portable;
    private int _buffered;
    private long _length;

    /// <summary>A lane on the processor's SHA extensions when it has them, else on .NET's SHA-256.</summary>
    public Sha256Lane()
        : this(Accelerated)
    {
    }

    /// <summary>A lane of the kind asked for (tests compare the two); <paramref name="accelerated"/> needs <see cref="Accelerated"/>.</summary>
    internal Sha256Lane(bool accelerated)
    {
        if (accelerated && !Accelerated)
        {
            throw new PlatformNotSupportedException("This processor has no SHA extensions, or the library that uses them is absent.");
        }

        if (accelerated)
        {
            _state = (uint[])Initial.Clone();
            _pending = new byte[64];
        }
        else
        {
            _portable = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    /// <summary>Whether lanes run on the processor's SHA extensions (x86-64 SHA-NI, with the library present).</summary>
    public static bool Accelerated { get; } = Probe();

    /// <summary>Whether this lane runs on the SHA extensions.</summary>
    public bool IsAccelerated => _state is not null;

    /// <summary>Feeds <paramref name="data"/>.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_portable is not null)
        {
            _portable.AppendData(data);
            return;
        }

        _length += data.Length;
        Absorb(Fill(data));
    }

    /// <summary>
    /// Feeds <paramref name="dataA"/> to <paramref name="a"/> and <paramref name="dataB"/> to <paramref name="b"/>,
    /// the blocks of both hashed together as far as they pair up. The two may be the same bytes, overlapping, or
    /// unrelated; the lanes must be two.
    /// </summary>
    public static void AppendBoth(Sha256Lane a, ReadOnlySpan<byte> dataA, Sha256Lane b, ReadOnlySpan<byte> dataB)
    {
        if (ReferenceEquals(a, b))
        {
            throw new ArgumentException("Two lanes are needed.", nameof(b));
        }

        if (a._state is null || b._state is null)
        {
            a.Append(dataA);
            b.Append(dataB);
            return;
        }

        a._length += dataA.Length;
        b._length += dataB.Length;
        ReadOnlySpan<byte> restA = a.Fill(dataA);
        ReadOnlySpan<byte> restB = b.Fill(dataB);
        int pairs = Math.Min(restA.Length, restB.Length) / 64;
        if (pairs > 0)
        {
            Blocks2(a._state, restA, b._state, restB, (nuint)pairs);
            restA = restA[(pairs * 64)..];
            restB = restB[(pairs * 64)..];
        }

        a.Absorb(restA);
        b.Absorb(restB);
    }

    /// <summary>Writes the digest of everything fed into <paramref name="digest"/> (32 bytes) and starts anew.</summary>
    public void Finish(Span<byte> digest)
    {
        if (digest.Length < 32)
        {
            throw new ArgumentException("A SHA-256 digest has 32 bytes.", nameof(digest));
        }

        if (_portable is not null)
        {
            _portable.GetHashAndReset(digest);
            return;
        }

        // FIPS 180-4 §5.1.1: a one bit, zeros, and the length in bits as 64 bits big-endian, ending a block.
        byte[] block = _pending!;
        block[_buffered++] = 0x80;
        if (_buffered > 56)
        {
            block.AsSpan(_buffered).Clear();
            Blocks(_state!, block, 1);
            _buffered = 0;
        }

        block.AsSpan(_buffered, 56 - _buffered).Clear();
        BinaryPrimitives.WriteUInt64BigEndian(block.AsSpan(56), (ulong)_length * 8);
        Blocks(_state!, block, 1);
        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest[(4 * i)..], _state![i]);
        }

        Reset();
    }

    /// <summary>Forgets everything fed: the next digest is of what follows.</summary>
    public void Reset()
    {
        if (_portable is not null)
        {
            Span<byte> discard = stackalloc byte[32];
            _portable.GetHashAndReset(discard);
            return;
        }

        Initial.CopyTo(_state!, 0);
        _buffered = 0;
        _length = 0;
    }

    /// <summary>The blob id of everything fed (<see cref="Finish"/>).</summary>
    public BlobId FinishId()
    {
        Span<byte> digest = stackalloc byte[32];
        Finish(digest);
        return BlobId.FromDigest(digest);
    }

    public void Dispose() => _portable?.Dispose();

    // Tops up the pending block from data (hashing it once complete) and returns the bytes left over: all of
    // them when nothing was pending, none when the pending block is still not complete.
    private ReadOnlySpan<byte> Fill(ReadOnlySpan<byte> data)
    {
        if (_buffered == 0)
        {
            return data;
        }

        int take = Math.Min(64 - _buffered, data.Length);
        data[..take].CopyTo(_pending.AsSpan(_buffered));
        _buffered += take;
        if (_buffered == 64)
        {
            Blocks(_state!, _pending, 1);
            _buffered = 0;
        }

        return data[take..];
    }

    // Hashes the whole blocks of data and keeps the rest pending; nothing may be pending already.
    private void Absorb(ReadOnlySpan<byte> data)
    {
        int blocks = data.Length / 64;
        if (blocks > 0)
        {
            Blocks(_state!, data, (nuint)blocks);
        }

        ReadOnlySpan<byte> tail = data[(blocks * 64)..];
        tail.CopyTo(_pending);
        _buffered += tail.Length;
    }

    private static bool Probe()
    {
        try
        {
            return IsAcceleratedNative() != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [LibraryImport(Library, EntryPoint = "cvmp_sha256_accelerated")]
    private static partial int IsAcceleratedNative();

    [LibraryImport(Library, EntryPoint = "cvmp_sha256_blocks")]
    private static partial void Blocks(Span<uint> state, ReadOnlySpan<byte> data, nuint blocks);

    [LibraryImport(Library, EntryPoint = "cvmp_sha256_blocks2")]
    private static partial void Blocks2(Span<uint> stateA, ReadOnlySpan<byte> dataA, Span<uint> stateB, ReadOnlySpan<byte> dataB, nuint blocks);
}
