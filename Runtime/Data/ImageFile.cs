using System;
using System.IO;
using StbImageSharp;

namespace NetGen.Data;

/// <summary>
/// Reads image files: baseline, extended and progressive JPEG, PNG, BMP, GIF (the first image) and
/// TGA, decoded by StbImageSharp. Every file is first checked by <see cref="ImageStructure"/> (the
/// format by content, every length against the file's size, a size limit of
/// <see cref="MaxPixels"/> pixels), and the decoder reads it through <see cref="ClampedReadStream"/>,
/// so no file, however damaged, hangs the reader or makes it allocate for a size the file cannot hold.
/// </summary>
public static class ImageFile
{
    /// <summary>The extensions an image folder's files may have (lower case, with the dot).</summary>
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".tga", ".gif"];

    /// <summary>The most pixels (width x height) an image may claim: 2^27 = 134,217,728; neither side may exceed 65,535.</summary>
    public const long MaxPixels = ImageStructure.MaxPixels;

    /// <summary>Whether <paramref name="path"/> has one of <see cref="Extensions"/>, in any case.</summary>
    public static bool HasImageExtension(string path) =>
        Array.IndexOf(Extensions, Path.GetExtension(path).ToLowerInvariant()) >= 0;

    /// <summary>
    /// What is wrong with <paramref name="path"/>'s structure as far as its headers show, or null when
    /// they are sound: a format the reader decodes (decided by the content; TGA, which has no
    /// signature, by a .tga name), every header length within the file, a size within
    /// <see cref="MaxPixels"/>. Only the headers are read, a few small reads per file, so an image
    /// folder of any size opens quickly; a file whose headers are sound can still fail to decode,
    /// which <see cref="Read(string, int)"/> reports. Never hangs, whatever the file holds.
    /// </summary>
    public static string? HeaderProblem(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            return ImageStructure.Check(new ImageBytes.File(handle), Path.GetExtension(path), full: false).Problem;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read: {e.Message}";
        }
    }

    /// <summary><see cref="HeaderProblem(string)"/> on bytes in memory named <paramref name="path"/> (the tests' entry point).</summary>
    internal static string? HeaderProblem(string path, byte[] bytes) =>
        ImageStructure.Check(new ImageBytes.Memory(bytes), Path.GetExtension(path), full: false).Problem;

    /// <summary>
    /// Decodes <paramref name="path"/> to <paramref name="channels"/> channels: 1 converts colour to
    /// grey, 3 expands grey to RGB; an alpha channel is dropped. The whole file is checked first (a
    /// JPEG's scans through its end-of-image marker, every PNG chunk's CRC), then decoded.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not an image the reader decodes, or it is damaged or cut off; the message starts with the path and says what is wrong.</exception>
    public static RawImage Read(string path, int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images are read as 1 (grey) or 3 (RGB) channels.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot be read: {e.Message}", e);
        }
        return Read(path, bytes, channels);
    }

    /// <summary><see cref="Read(string, int)"/> on bytes in memory named <paramref name="path"/> (the tests' entry point).</summary>
    internal static RawImage Read(string path, byte[] bytes, int channels)
    {
        var check = ImageStructure.Check(new ImageBytes.Memory(bytes), Path.GetExtension(path), full: true);
        if (check.Problem is { } problem)
            throw new InvalidDataException($"{path}: {problem}.");
        ImageResult result;
        try
        {
            result = ImageResult.FromStream(new ClampedReadStream(bytes), channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // StbImageSharp reports a corrupt file with a bare exception ("bad huffman code", ...), or fails inside on damaged data.
            throw new InvalidDataException($"{path}: the {check.Format.ToString().ToUpperInvariant()} data does not decode ({bytes.Length:N0} bytes): {e.Message}", e);
        }
        if (result is null || result.Data is null || result.Width != check.Width || result.Height != check.Height
            || result.Data.Length != (long)result.Width * result.Height * channels)
            throw new InvalidDataException($"{path}: the {check.Format.ToString().ToUpperInvariant()} data does not decode to the " +
                $"{check.Width:N0} x {check.Height:N0} image its header claims ({bytes.Length:N0} bytes).");
        return new RawImage(result.Width, result.Height, channels, result.Data).Validated();
    }
}
