using System.Runtime.InteropServices;

namespace CernVM.Preserve.Posix;

/// <summary>
/// Deflate through the system's own zlib (libz.so.1), not .NET's bundled zlib-ng: the two produce different
/// bytes for the same input, and CernVM-FS names an object by the hash of its compressed bytes, so objects can
/// only be written back bit for bit with the zlib that wrote them (cvmfs compression.cc: deflateInit with
/// Z_DEFAULT_COMPRESSION, one zlib stream per object).
/// </summary>
public static partial class ClassicZlib
{
    private const string Library = "libz.so.1";
    private const int ZDefaultCompression = -1;
    private const int ZOk = 0;

    /// <summary>A zlib stream (RFC 1950) of <paramref name="content"/> at zlib's default level, as cvmfs writes objects.</summary>
    /// <exception cref="DllNotFoundException">The system has no libz.so.1.</exception>
    /// <exception cref="InvalidOperationException">zlib reported an error.</exception>
    public static byte[] Compress(ReadOnlySpan<byte> content)
    {
        nuint bound = CompressBound((nuint)content.Length);
        byte[] output = new byte[(int)bound];
        nuint length = bound;
        int rc = Compress2(output, ref length, content, (nuint)content.Length, ZDefaultCompression);
        if (rc != ZOk)
        {
            throw new InvalidOperationException($"zlib compress2 failed with code {rc}.");
        }

        return output.AsSpan(0, (int)length).ToArray();
    }

    [LibraryImport(Library, EntryPoint = "compressBound")]
    private static partial nuint CompressBound(nuint sourceLength);

    [LibraryImport(Library, EntryPoint = "compress2")]
    private static partial int Compress2(byte[] destination, ref nuint destinationLength, ReadOnlySpan<byte> source, nuint sourceLength, int level);
}
