using CernVM.Preserve.Core.Hashing;
using CernVM.Preserve.Core.Model;

namespace CernVM.Preserve.Audit;

/// <summary>
/// One pass over a decoded blob's content that hashes the whole of it (its id, FORMAT.md §4) and, alongside, the
/// ranges files take of it (their content ids, §6.2), the two lanes interleaved on the processor's SHA extensions
/// (<see cref="Sha256Lane.AppendBoth"/>). A bundle's members and a chunk's extent are the same bytes as the blob,
/// so both lanes read the same memory. Without a blob lane (its hash already checked) each range is hashed alone.
/// </summary>
internal ref struct BlobPass
{
    private readonly ReadOnlySpan<byte> _content;
    private readonly Sha256Lane? _blob;
    private int _done;

    public BlobPass(ReadOnlySpan<byte> content, Sha256Lane? blob)
    {
        _content = content;
        _blob = blob;
    }

    /// <summary>Feeds <c>content[offset, offset + length)</c> to <paramref name="lane"/>; the blob's lane moves up to the range's end.
    /// Ranges in offset order keep the two lanes on the same bytes.</summary>
    public void Range(int offset, int length, Sha256Lane lane)
    {
        ReadOnlySpan<byte> range = _content.Slice(offset, length);
        if (_blob is null)
        {
            lane.Append(range);
            return;
        }

        int end = Math.Max(_done, offset + length);
        Sha256Lane.AppendBoth(_blob, _content[_done..end], lane, range);
        _done = end;
    }

    /// <summary>Hashes what is left of the content: the blob's id as its bytes give it.</summary>
    public BlobId FinishBlob()
    {
        if (_blob is null)
        {
            throw new InvalidOperationException("This pass hashes no blob.");
        }

        _blob.Append(_content[_done..]);
        _done = _content.Length;
        return _blob.FinishId();
    }
}
