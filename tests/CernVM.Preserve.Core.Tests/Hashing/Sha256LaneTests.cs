using System.Security.Cryptography;
using CernVM.Preserve.Core.Hashing;
using Xunit;

namespace CernVM.Preserve.Core.Tests.Hashing;

public class Sha256LaneTests
{
    // Every kind of lane this machine can run: .NET's SHA-256 always, the SHA extensions where the processor has them.
    public static TheoryData<bool> Kinds()
    {
        var kinds = new TheoryData<bool> { false };
        if (Sha256Lane.Accelerated)
        {
            kinds.Add(true);
        }

        return kinds;
    }

    [Fact]
    public void Accelerated_FollowsTheProcessor_SoTheLibraryIsLoadedWhereItCanRun()
    {
        // A library left out of the build would make every lane portable without a word: the processor's
        // own flag says whether the accelerated lanes must be in use.
        bool shaNi = File.ReadLines("/proc/cpuinfo").Where(l => l.StartsWith("flags", StringComparison.Ordinal))
            .Take(1).Any(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("sha_ni"));
        bool x64 = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;
        Assert.Equal(shaNi && x64, Sha256Lane.Accelerated);
        Assert.Equal(Sha256Lane.Accelerated, new Sha256Lane().IsAccelerated);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Finish_KnownVectors_GivesFips180Digests(bool accelerated)
    {
        using var lane = new Sha256Lane(accelerated);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Hex(lane));
        lane.Append("abc"u8);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hex(lane));
        lane.Append("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"u8);
        Assert.Equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", Hex(lane));
        byte[] million = new byte[1_000_000];
        Array.Fill(million, (byte)'a');
        lane.Append(million);
        Assert.Equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", Hex(lane));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Append_InAnyParts_GivesTheDigestOfTheWhole(bool accelerated)
    {
        var random = new Random(4711);
        using var lane = new Sha256Lane(accelerated);
        foreach (int length in new[] { 0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65_536, 300_001 })
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            for (int round = 0; round < 8; round++)
            {
                int at = 0;
                while (at < length)
                {
                    int part = Math.Min(length - at, round == 0 ? length : random.Next(1, 200));
                    lane.Append(data.AsSpan(at, part));
                    at += part;
                }

                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), Hex(lane));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AppendBoth_TheSameBytesAtOtherAlignments_GivesEachLaneItsOwnDigest(bool accelerated)
    {
        // The archive's use: a chunk's lane starts at the chunk, its file's lane somewhere before it; a bundle's
        // lane runs over every member while a file's lane runs over one member.
        var random = new Random(1234);
        byte[] data = new byte[200_000];
        random.NextBytes(data);
        using var whole = new Sha256Lane(accelerated);
        using var part = new Sha256Lane(accelerated);
        for (int round = 0; round < 40; round++)
        {
            int lead = random.Next(0, 300);
            whole.Append(data.AsSpan(0, lead));
            int at = lead;
            int start = at;
            while (at < data.Length)
            {
                int n = Math.Min(data.Length - at, random.Next(1, 70_000));
                Sha256Lane.AppendBoth(whole, data.AsSpan(at, n), part, data.AsSpan(at, n));
                at += n;
                if (random.Next(3) == 0)
                {
                    Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(start, at - start))), Hex(part));
                    start = at;
                }
            }

            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), Hex(whole));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(start))), Hex(part));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AppendBoth_UnequalAndUnrelatedParts_GivesEachLaneItsOwnDigest(bool accelerated)
    {
        var random = new Random(99);
        byte[] a = new byte[150_000];
        byte[] b = new byte[90_001];
        random.NextBytes(a);
        random.NextBytes(b);
        using var laneA = new Sha256Lane(accelerated);
        using var laneB = new Sha256Lane(accelerated);
        int atA = 0, atB = 0;
        while (atA < a.Length || atB < b.Length)
        {
            int nA = Math.Min(a.Length - atA, random.Next(0, 5_000));
            int nB = Math.Min(b.Length - atB, random.Next(0, 5_000));
            Sha256Lane.AppendBoth(laneA, a.AsSpan(atA, nA), laneB, b.AsSpan(atB, nB));
            atA += nA;
            atB += nB;
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(a)), Hex(laneA));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(b)), Hex(laneB));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Reset_ForgetsWhatWasFed(bool accelerated)
    {
        using var lane = new Sha256Lane(accelerated);
        lane.Append(new byte[100]);
        lane.Reset();
        lane.Append("abc"u8);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hex(lane));
    }

    [Fact]
    public void AppendBoth_OneLaneTwice_IsRefused()
    {
        using var lane = new Sha256Lane();
        Assert.Throws<ArgumentException>(() => Sha256Lane.AppendBoth(lane, "a"u8, lane, "b"u8));
    }

    [Fact]
    public void FinishId_IsTheBlobIdOfTheBytes()
    {
        using var lane = new Sha256Lane();
        lane.Append("abc"u8);
        Assert.Equal(CernVM.Preserve.Core.Model.BlobId.Of("abc"u8), lane.FinishId());
    }

    private static string Hex(Sha256Lane lane)
    {
        byte[] digest = new byte[32];
        lane.Finish(digest);
        return Convert.ToHexStringLower(digest);
    }
}
