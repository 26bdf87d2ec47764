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
    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        // A suffix of the target's own name keeps the temporary file in the same directory, hence on
        // the same file system, which is what makes the final rename atomic.
        string temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                write(stream);
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
