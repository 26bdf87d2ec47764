using System;
using System.IO;

namespace NetGen.Data;

/// <summary>
/// A read-only stream over bytes in memory whose position never leaves [0, Length]. StbImageSharp
/// skips a segment with <c>Seek(n, SeekOrigin.Current)</c> and tests for the end with
/// <c>Position == Length</c>; a <see cref="MemoryStream"/> lets an over-long skip land past the end,
/// where that test is never true again and a JPEG's marker search loops for ever (issue 22). Here
/// such a skip lands exactly at the end, and a negative skip does too, as in stb_image.c's
/// <c>stbi__skip</c> (a <see cref="MemoryStream"/> would go back and read the same bytes again).
/// </summary>
internal sealed class ClampedReadStream(byte[] bytes) : Stream
{
    private long position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => bytes.Length;

    public override long Position
    {
        get => position;
        set => position = Math.Clamp(value, 0, bytes.Length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, bytes.Length - position);
        bytes.AsSpan((int)position, n).CopyTo(buffer);
        position += n;
        return n;
    }

    public override int ReadByte() => position < bytes.Length ? bytes[position++] : -1;

    public override long Seek(long offset, SeekOrigin origin)
    {
        if (origin == SeekOrigin.Current && offset < 0)
            return position = bytes.Length;
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => bytes.Length + offset,
        };
        return position = Math.Clamp(target, 0, bytes.Length);
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
