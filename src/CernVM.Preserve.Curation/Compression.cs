using System.Diagnostics;
using System.Security.Cryptography;
using CernVM.Preserve.Core;

namespace CernVM.Preserve.Curation;

/// <summary>
/// Compressed formats recognised by their magic bytes, and decompression through the standard external
/// tools (gzip, xz, zstd, bzip2, lz4): the same programs a reader decades from now will have, and no
/// decompressor of our own to get wrong.
/// </summary>
public static class Compression
{
    /// <summary>
    /// The compression of data starting with <paramref name="head"/>: <c>gzip</c>, <c>xz</c>, <c>lzma</c>
    /// (the legacy .lzma "alone" format), <c>bzip2</c>, <c>lz4-legacy</c> (what the kernel's and initramfs
    /// lz4 support use), <c>lz4</c> (frame format), <c>zstd</c>, <c>lzop</c>; null when none of them.
    /// </summary>
    public static string? Detect(ReadOnlySpan<byte> head) => head switch
    {
        [0x1F, 0x8B, ..] => "gzip",
        [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => "xz",
        [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd",
        [(byte)'B', (byte)'Z', (byte)'h', >= (byte)'1' and <= (byte)'9', ..] => "bzip2",
        [0x02, 0x21, 0x4C, 0x18, ..] => "lz4-legacy",
        [0x04, 0x22, 0x4D, 0x18, ..] => "lz4",
        [0x89, (byte)'L', (byte)'Z', (byte)'O', ..] => "lzop",

        // .lzma: properties byte 0x5D (lc=3, lp=0, pb=2, what every lzma encoder writes), then a 32-bit
        // dictionary size; the kernel's and mkinitrd's lzma streams all start 5D 00 00.
        [0x5D, 0x00, 0x00, ..] => "lzma",
        _ => null,
    };

    /// <summary>The command that decompresses <paramref name="format"/> from stdin to stdout.</summary>
    public static (string Tool, string[] Arguments) Command(string format) => format switch
    {
        "gzip" => ("gzip", ["-dc"]),
        "xz" => ("xz", ["-dc"]),
        "lzma" => ("xz", ["-dc", "--format=lzma"]),
        "zstd" => ("zstd", ["-dc"]),
        "bzip2" => ("bzip2", ["-dc"]),
        "lz4" or "lz4-legacy" => ("lz4", ["-dc"]),
        "lzop" => ("lzop", ["-dc"]),
        _ => throw new ArgumentException($"no decompressor for '{format}'", nameof(format)),
    };

    /// <summary>
    /// Decompresses <paramref name="input"/> into <paramref name="output"/> with the external tool. With
    /// <paramref name="maxOutput"/>, stops (and ends the tool) once that many bytes came out: enough to see
    /// what is inside without unpacking all of it. <paramref name="inputHash"/>, when given, sees every input
    /// byte (used to verify a digest while decompressing).
    /// </summary>
    /// <returns>The number of bytes written to <paramref name="output"/>.</returns>
    /// <exception cref="PreserveException">The tool is not installed (Environment) or reports an error on a full decompression (Usage), naming <paramref name="what"/>.</exception>
    public static long Decompress(string format, Stream input, Stream output, string what, long? maxOutput = null, IncrementalHash? inputHash = null, CancellationToken cancellationToken = default) =>
        Decompress(format, input, output, what, maxOutput, inputHash, null, cancellationToken);

    /// <summary>
    /// The bytes a full decompression into a temporary file may write: the free space of the file system holding
    /// <paramref name="directory"/>, less <see cref="TemporarySpaceReserve"/>. A small input that expands past it
    /// (a decompression bomb: a few kilobytes of bzip2 or zstd can claim terabytes of zeros) is stopped there
    /// with an error, rather than filling the disk; a real tree that large needs TMPDIR on a larger file system.
    /// </summary>
    public static long TemporarySpace(string directory) =>
        Math.Max(0, new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace - TemporarySpaceReserve);

    /// <summary>Free space a decompression into a temporary file leaves untouched (1 GiB).</summary>
    public const long TemporarySpaceReserve = 1L << 30;

    /// <summary>
    /// Decompresses like the overload above; with <paramref name="limit"/>, a decompression whose output grows
    /// past that many bytes is ended and fails with the exception <paramref name="limit"/> makes.
    /// </summary>
    public static long Decompress(string format, Stream input, Stream output, string what, long? maxOutput, IncrementalHash? inputHash, (long Bytes, Func<long, PreserveException> Error)? limit, CancellationToken cancellationToken)
    {
        (string tool, string[] args) = Command(format);
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PreserveException(FailureKind.Environment, $"{what} is {format}-compressed, and '{tool}' is not installed.", e);
        }

        using (p)
        {
            Task<string> err = p.StandardError.ReadToEndAsync(cancellationToken);
            bool inputDone = false;
            Task feed = Task.Run(
                () =>
                {
                    byte[] buffer = new byte[1 << 16];
                    try
                    {
                        int n;
                        while ((n = input.Read(buffer)) > 0)
                        {
                            inputHash?.AppendData(buffer, 0, n);
                            p.StandardInput.BaseStream.Write(buffer, 0, n);
                        }

                        inputDone = true;
                        p.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                        // The tool stopped reading: it failed, or a bounded read ended it. Decided below.
                    }
                },
                cancellationToken);

            long written = 0;
            byte[] chunk = new byte[1 << 16];
            Stream stdout = p.StandardOutput.BaseStream;
            bool truncated = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int want = maxOutput is long max ? (int)Math.Min(chunk.Length, max - written) : chunk.Length;
                if (want == 0)
                {
                    truncated = true;
                    break;
                }

                int n = stdout.Read(chunk, 0, want);
                if (n == 0)
                {
                    break;
                }

                if (limit is { } l && written + n > l.Bytes)
                {
                    try
                    {
                        p.Kill();
                    }
                    catch (InvalidOperationException)
                    {
                        // It ended by itself.
                    }

                    p.WaitForExit();
                    throw l.Error(l.Bytes);
                }

                output.Write(chunk, 0, n);
                written += n;
            }

            if (truncated)
            {
                try
                {
                    p.Kill();
                }
                catch (InvalidOperationException)
                {
                    // It ended by itself.
                }

                p.WaitForExit();
                try
                {
                    feed.Wait(cancellationToken);
                }
                catch (AggregateException)
                {
                    // The feeder met the closed pipe.
                }

                return written;
            }

            p.WaitForExit();
            feed.Wait(cancellationToken);

            // lz4 ends the kernel's legacy streams with a size word it reports as an error after decoding
            // everything: a bounded read takes what came out; a full one needs the tool's verdict.
            if (maxOutput is null && (p.ExitCode != 0 || !inputDone))
            {
                throw new PreserveException(FailureKind.Usage, $"{what}: {tool} could not decompress it: {err.Result.Trim()}");
            }

            return written;
        }
    }

    /// <summary>Decompresses at most <paramref name="maxOutput"/> bytes of <paramref name="input"/> into memory.</summary>
    public static byte[] DecompressPrefix(string format, Stream input, int maxOutput, string what, CancellationToken cancellationToken = default)
    {
        using var ms = new MemoryStream();
        Decompress(format, input, ms, what, maxOutput, null, cancellationToken);
        return ms.ToArray();
    }
}
