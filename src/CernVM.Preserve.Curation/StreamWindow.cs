namespace CernVM.Preserve.Curation;

/// <summary>
/// A read-only, seekable window of <paramref name="length"/> bytes of another stream, starting at
/// <paramref name="offset"/> (a member of a tar read in place, the payload of a kernel image).
/// </summary>
internal sealed class StreamWindow(Stream inner, long offset, long length, bool ownsInner) : Stream
{
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, length);
    }

    public override int Read(byte[] buffer, int offset1, int count) => Read(buffer.AsSpan(offset1, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _position);
        if (n <= 0)
        {
            return 0;
        }

        inner.Position = offset + _position;
        int r = inner.Read(buffer[..n]);
        _position += r;
        return r;
    }

    public override long Seek(long offset1, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset1,
        SeekOrigin.Current => _position + offset1,
        _ => length + offset1,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset1, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsInner)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
