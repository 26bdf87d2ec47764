using System;
using System.IO;

namespace NetGen;

/// <summary>
/// Writes a file so that a reader, or a run killed halfway, sees the old file or the new one, never
/// half of one: the content goes to a temporary file beside the target, is flushed to disk, and is
/// renamed over it.
/// </summary>
internal static class AtomicFile
{
    /// <summary>What a temporary file's name adds to its target's: <c>last.safetensors.tmp-&lt;guid&gt;</c>.</summary>
    public const string TemporarySuffix = ".tmp-";

    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        // A suffix of the target's own name keeps the temporary file in the same directory, hence on
        // the same file system, which is what makes the final rename atomic.
        string temporary = path + TemporarySuffix + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                write(CrashPoint.Wrap(path, stream));
                // Durable before the rename: otherwise a crash could leave the new name on empty data.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); }
            catch (IOException) { } // the original exception matters more than a leftover temporary file
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Replaces <paramref name="destination"/> with a copy of <paramref name="source"/>, atomically.</summary>
    public static void Copy(string source, string destination) => Write(destination, stream =>
    {
        using var input = File.OpenRead(source);
        input.CopyTo(stream);
    });
}

/// <summary>
/// A fault-injection point for the crash test: with <c>NETGEN_TEST_PAUSE_WRITE=NAME:N:BYTES</c> set,
/// the N-th atomic write of a file named NAME stops for good after BYTES bytes, once it has flushed
/// them and created <c>NAME.paused</c> beside the target, so a test can kill the process with
/// SIGKILL in the middle of a checkpoint. Without the variable a write goes straight through.
/// </summary>
internal static class CrashPoint
{
    private static readonly (string Name, int Write, long Bytes)? Pause = Parse(Environment.GetEnvironmentVariable("NETGEN_TEST_PAUSE_WRITE"));
    private static int writes;

    public static Stream Wrap(string path, Stream stream)
    {
        if (Pause is not { } pause || Path.GetFileName(path) != pause.Name || System.Threading.Interlocked.Increment(ref writes) != pause.Write)
            return stream;
        return new PausingStream(stream, pause.Bytes, path + ".paused");
    }

    private static (string, int, long)? Parse(string? value) =>
        value?.Split(':') is [var name, var write, var bytes] && int.TryParse(write, out int w) && long.TryParse(bytes, out long b) ? (name, w, b) : null;

    private sealed class PausingStream(Stream inner, long limit, string marker) : Stream
    {
        private long written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int now = (int)Math.Min(buffer.Length, limit - written);
            inner.Write(buffer[..now]);
            written += now;
            if (written < limit)
                return;
            inner.Flush();
            File.WriteAllText(marker, written.ToString(System.Globalization.CultureInfo.InvariantCulture));
            System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);
        }
    }
}
