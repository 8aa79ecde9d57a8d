using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using Lucene.Net.Store;

namespace CernVM.Preserve.Search;

/// <summary>
/// The Lucene index's directory on disk, each file read through one read-only memory mapping with plain pointer
/// reads. Lucene.Net's own <c>MMapDirectory</c> reads its mappings through J2N's byte buffers, which take and
/// release the mapping's handle around every byte read: for an answer of thousands of hits (facets, the latest
/// version of each capsule) that was a tenth of the whole process (docs/benchmarks.md). Writing is
/// <see cref="FSDirectory"/>'s own.
/// </summary>
/// <remarks>
/// An input and its clones share one mapping, released when the input Lucene opened is closed (Lucene never closes
/// a clone, and reads a clone only while its input is open); a compound file's slices share the slicer's mapping
/// the same way. Reads are bounds-checked against the file's or the slice's length: a damaged index ends on
/// <see cref="EndOfStreamException"/>, as with Lucene's inputs, never on a read outside the mapping.
/// </remarks>
internal sealed unsafe class MappedDirectory(DirectoryInfo path) : FSDirectory(path)
{
    public override IndexInput OpenInput(string name, IOContext context)
    {
        EnsureOpen();
        string file = System.IO.Path.Combine(Directory.FullName, name);
        Mapping mapping = Mapping.Of(file);
        return new MappedInput($"MappedInput(path=\"{file}\")", mapping, mapping.Start, mapping.Length, owner: true);
    }

    public override IndexInputSlicer CreateSlicer(string name, IOContext context)
    {
        EnsureOpen();
        string file = System.IO.Path.Combine(Directory.FullName, name);
        return new Slicer(file, Mapping.Of(file));
    }

    /// <summary>One file mapped read-only, whole.</summary>
    private sealed class Mapping : IDisposable
    {
        private readonly MemoryMappedFile? _file;
        private readonly MemoryMappedViewAccessor? _view;
        private int _disposed;

        private Mapping(MemoryMappedFile? file, MemoryMappedViewAccessor? view, byte* start, long length)
        {
            _file = file;
            _view = view;
            Start = start;
            Length = length;
        }

        public byte* Start { get; }

        public long Length { get; }

        /// <exception cref="FileNotFoundException">There is no such file (Lucene looks for files that may not be there).</exception>
        public static Mapping Of(string file)
        {
            var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            MemoryMappedFile? mapped = null;
            try
            {
                long length = stream.Length;
                if (length == 0)
                {
                    stream.Dispose();
                    return new Mapping(null, null, null, 0); // nothing to map: every read is past the end
                }

                mapped = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                MemoryMappedViewAccessor view = mapped.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                byte* start = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
                return new Mapping(mapped, view, start + view.PointerOffset, length);
            }
            catch
            {
                if (mapped is null)
                {
                    stream.Dispose();
                }

                mapped?.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0 && _view is not null)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _file!.Dispose();
            }
        }
    }

    /// <summary>A file or a slice of one: a window of a mapping, with its own position.</summary>
    private sealed class MappedInput(string description, Mapping mapping, byte* start, long length, bool owner) : IndexInput(description)
    {
        private long _position;
        private bool _owner = owner;

        public override long Length => length;

        public override long Position => _position;

        public override byte ReadByte()
        {
            if ((ulong)_position >= (ulong)length)
            {
                throw new EndOfStreamException($"read past EOF: {this}");
            }

            return start[_position++];
        }

        public override void ReadBytes(byte[] b, int offset, int len) => Take(len).CopyTo(b.AsSpan(offset, len));

        public override short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public override int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public override long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public override void Seek(long pos)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(pos);
            if (pos > length)
            {
                throw new EndOfStreamException($"seek past EOF ({pos} of {length}): {this}");
            }

            _position = pos;
        }

        public override object Clone()
        {
            var clone = (MappedInput)base.Clone();
            clone._owner = false;
            return clone;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _owner)
            {
                _owner = false;
                mapping.Dispose();
            }
        }

        // The next count bytes, the position moved past them.
        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || length - _position < count)
            {
                throw new EndOfStreamException($"read past EOF ({count} bytes at {_position} of {length}): {this}");
            }

            var bytes = new ReadOnlySpan<byte>(start + _position, count);
            _position += count;
            return bytes;
        }
    }

    /// <summary>A compound file's slices, each a window of one mapping the slicer releases when closed.</summary>
    private sealed class Slicer(string file, Mapping mapping) : IndexInputSlicer
    {
        public override IndexInput OpenSlice(string sliceDescription, long offset, long length)
        {
            if (offset < 0 || length < 0 || offset > mapping.Length - length)
            {
                throw new ArgumentException($"slice ({offset}, {length}) is outside {file} ({mapping.Length} bytes)");
            }

            return new MappedInput($"MappedInput({sliceDescription} in path=\"{file}\" slice={offset}:{offset + length})", mapping, mapping.Start + offset, length, owner: false);
        }

        [Obsolete("Only for reading CFS files from 3.x indexes.")]
        public override IndexInput OpenFullSlice() => OpenSlice("full-slice", 0, mapping.Length);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                mapping.Dispose();
            }
        }
    }
}
