using CernVM.Preserve.Core.Model;
using Xunit;

namespace CernVM.Preserve.Posix.Tests;

public sealed class PosixFsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cvmp-posix-").FullName;

    private byte[] P(params byte[] name) => PathBytes.Join(PosixFs.FromString(_dir), name);

    // .NET's Directory.Delete decodes names as UTF-8 and cannot remove the raw-byte names made here.
    public void Dispose() => System.Diagnostics.Process.Start("rm", ["-rf", _dir])!.WaitForExit();

    [Fact]
    public void ReadDirectory_RawNonUtf8Names_ComeBackAsBytesInOrder()
    {
        byte[] latin = [(byte)'c', (byte)'a', (byte)'f', 0xE9];
        byte[] ff = [0xFF];
        byte[] nl = [(byte)'a', (byte)'\n'];
        foreach (byte[] n in new[] { latin, ff, nl })
        {
            PosixFs.CreateExclusive(P(n), 0x1A4).Dispose();
        }

        List<byte[]> names = PosixFs.ReadDirectory(PosixFs.FromString(_dir));
        Assert.Equal([nl, latin, ff], names);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, PosixFs.WritePiece)]
    [InlineData(0, PosixFs.WritePiece + 1)]
    [InlineData(12_345, (3 * PosixFs.WritePiece) + 777)]
    public void WriteAt_InPieces_WritesEveryByteWhereItBelongs(long offset, int length)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        byte[] path = P("w"u8.ToArray());
        using (Microsoft.Win32.SafeHandles.SafeFileHandle h = PosixFs.CreateExclusive(path, 0x1A4))
        {
            PosixFs.WriteAt(h, data, offset);
        }

        byte[] written = File.ReadAllBytes(Path.Combine(_dir, "w"));
        Assert.Equal(offset + length, written.Length);
        Assert.All(written[..(int)offset], b => Assert.Equal(0, b));
        Assert.Equal(data, written[(int)offset..]);
    }

    [Fact]
    public void ReadAt_ReadsFromTheOffset_ZeroAtTheEnd_AFailureNamesTheFile()
    {
        byte[] path = P("f"u8.ToArray());
        File.WriteAllText(Path.Combine(_dir, "f"), "0123456789");
        using (Microsoft.Win32.SafeHandles.SafeFileHandle h = PosixFs.OpenRead(path))
        {
            byte[] buffer = new byte[16];
            Assert.Equal(10, PosixFs.ReadAt(h, buffer, 0, path));
            Assert.Equal("0123456789"u8.ToArray(), buffer[..10]);
            Assert.Equal(3, PosixFs.ReadAt(h, buffer.AsSpan(0, 3), 4, path));
            Assert.Equal("456"u8.ToArray(), buffer[..3]);
            Assert.Equal(2, PosixFs.ReadAt(h, buffer, 8, path));
            Assert.Equal(0, PosixFs.ReadAt(h, buffer, 10, path));
            Assert.Equal(0, PosixFs.ReadAt(h, buffer, 1L << 40, path));
        }

        // A descriptor of a directory cannot be read: EISDIR, with the name given.
        using Microsoft.Win32.SafeHandles.SafeFileHandle dir = PosixFs.OpenRead(PosixFs.FromString(_dir));
        PosixException e = Assert.Throws<PosixException>(() => PosixFs.ReadAt(dir, new byte[4], 0, "the/dir"u8.ToArray()));
        Assert.Equal(21, e.Errno);
        Assert.StartsWith("read 'the/dir': ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LStat_Symlink_IsNotFollowed_AndTimesKeepNanoseconds()
    {
        PosixFs.Symlink("/nonexistent/target"u8.ToArray(), P("dangling"u8.ToArray()));
        FileStatus st = PosixFs.LStat(P("dangling"u8.ToArray()));
        Assert.Equal(EntryKind.Symlink, st.Kind);
        Assert.Equal("/nonexistent/target"u8.ToArray(), PosixFs.ReadLink(P("dangling"u8.ToArray())));

        PosixFs.CreateExclusive(P("f"u8.ToArray()), 0x1A4).Dispose();
        PosixFs.SetTimes(P("f"u8.ToArray()), -1_000_000_000, 123_456_789);
        FileStatus f = PosixFs.LStat(P("f"u8.ToArray()));
        Assert.Equal((-1_000_000_000L, 123_456_789), (f.MtimeSeconds, f.MtimeNanoseconds));
    }

    [Fact]
    public void LStatChildren_EachNameAsLStatSeesIt_NullForOneNotThere_AFailureNamed()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "d"));
        PosixFs.Symlink("d"u8.ToArray(), P("link"u8.ToArray()));
        PosixFs.CreateExclusive(P(0xFF), 0x1A4).Dispose();
        byte[][] names = [[0xFF], "d"u8.ToArray(), "gone"u8.ToArray(), "link"u8.ToArray()];

        FileStatus?[] found = PosixFs.LStatChildren(PosixFs.FromString(_dir), names);

        Assert.Equal(
            [PosixFs.LStat(P(0xFF)), PosixFs.LStat(P("d"u8.ToArray())), null, PosixFs.LStat(P("link"u8.ToArray()))],
            found);
        Assert.Equal(EntryKind.Symlink, found[3]!.Value.Kind); // not followed
        PosixException notADirectory = Assert.Throws<PosixException>(() => PosixFs.LStatChildren(P(0xFF), names));
        Assert.Contains("opendir", notADirectory.Message, StringComparison.Ordinal);
        PosixException below = Assert.Throws<PosixException>(() => PosixFs.LStatChildren(PosixFs.FromString(_dir), [[0xFF, (byte)'/', (byte)'x']]));
        Assert.Contains("lstat", below.Message, StringComparison.Ordinal); // ENOTDIR is not "not there"
    }

    [Fact]
    public void MakeNode_FifoAndSocket_HaveTheirKinds()
    {
        PosixFs.MakeNode(P("fifo"u8.ToArray()), EntryKind.Fifo, 0x1A4, 0, 0);
        PosixFs.MakeNode(P("sock"u8.ToArray()), EntryKind.Socket, 0x1ED, 0, 0);
        Assert.Equal(EntryKind.Fifo, PosixFs.LStat(P("fifo"u8.ToArray())).Kind);
        Assert.Equal(EntryKind.Socket, PosixFs.LStat(P("sock"u8.ToArray())).Kind);
    }

    [Fact]
    public void XAttrs_BinaryValues_RoundTrip()
    {
        byte[] f = P("x"u8.ToArray());
        PosixFs.CreateExclusive(f, 0x1A4).Dispose();
        byte[] value = [0, 1, 2, 0, 255];
        PosixFs.SetXAttr(f, "user.binary"u8.ToArray(), value);
        XAttr x = Assert.Single(PosixFs.ReadXAttrs(f), a => a.Name.AsSpan().SequenceEqual("user.binary"u8));
        Assert.Equal(value, x.Value);
    }

    /// <summary>
    /// The list of names is read into 1 KiB first and into a bigger buffer when the kernel says it does not fit
    /// (ERANGE): forty names of 40 bytes need the second try, and none is lost; an entry without any gives none.
    /// </summary>
    [Fact]
    public void XAttrs_NamesBeyondTheFirstBuffer_AllReadInOrder_AndNoneForAPlainFile()
    {
        byte[] f = P("many"u8.ToArray());
        PosixFs.CreateExclusive(f, 0x1A4).Dispose();
        string[] names = [.. Enumerable.Range(0, 40).Select(i => $"user.{i:D2}-{new string('n', 30)}")];
        foreach (string name in names.Reverse())
        {
            PosixFs.SetXAttr(f, System.Text.Encoding.ASCII.GetBytes(name), System.Text.Encoding.ASCII.GetBytes(name[5..7]));
        }

        List<XAttr> read = PosixFs.ReadXAttrs(f);
        Assert.True(names.Sum(n => n.Length + 1) > 1024);
        Assert.Equal(names, read.Select(x => System.Text.Encoding.ASCII.GetString(x.Name)));
        Assert.Equal(names.Select(n => n[5..7]), read.Select(x => System.Text.Encoding.ASCII.GetString(x.Value)));

        byte[] plain = P("plain"u8.ToArray());
        PosixFs.CreateExclusive(plain, 0x1A4).Dispose();
        Assert.Empty(PosixFs.ReadXAttrs(plain));
    }

    [Fact]
    public void DataSegments_SparseFile_ReportsOnlyWrittenStretches()
    {
        byte[] f = P("sparse"u8.ToArray());
        using (Microsoft.Win32.SafeHandles.SafeFileHandle h = PosixFs.CreateExclusive(f, 0x1A4))
        {
            PosixFs.Truncate(h, 64L * 1024 * 1024, f);
            RandomAccess.Write(h, "middle"u8, 32L * 1024 * 1024);
        }

        using Microsoft.Win32.SafeHandles.SafeFileHandle r = PosixFs.OpenRead(f);
        List<(long Offset, long Length)> segments = PosixFs.DataSegments(r, 64L * 1024 * 1024, f);
        (long offset, long length) = Assert.Single(segments);
        Assert.InRange(offset, 32L * 1024 * 1024 - 1024 * 1024, 32L * 1024 * 1024);
        Assert.InRange(length, 6, 2 * 1024 * 1024);
    }

    [Fact]
    public void CreateExclusive_ExistingName_IsRefusedWithThePathInTheMessage()
    {
        byte[] f = P("once"u8.ToArray());
        PosixFs.CreateExclusive(f, 0x1A4).Dispose();
        PosixException e = Assert.Throws<PosixException>(() => PosixFs.CreateExclusive(f, 0x1A4));
        Assert.Equal(17, e.Errno);
        Assert.Contains("once", e.Message);
    }
}
