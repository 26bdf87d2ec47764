using System;
using System.IO;
using StbImageSharp;

namespace NetGen.Data;

/// <summary>Reads image files (JPEG, PNG, BMP, TGA, GIF, PSD, HDR: whatever StbImageSharp decodes).</summary>
public static class ImageFile
{
    /// <summary>The extensions an image folder's files may have (lower case, with the dot).</summary>
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".tga", ".gif"];

    /// <summary>Whether <paramref name="path"/> has one of <see cref="Extensions"/>, in any case.</summary>
    public static bool HasImageExtension(string path) =>
        Array.IndexOf(Extensions, Path.GetExtension(path).ToLowerInvariant()) >= 0;

    /// <summary>
    /// What is wrong with <paramref name="path"/>'s header, or null when it names an image format
    /// and size StbImageSharp reads. Only the first bytes are read: a file whose header is sound can
    /// still fail to decode, which <see cref="Read"/> reports.
    /// </summary>
    public static string? HeaderProblem(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length == 0)
                return "the file is empty, not an image";
            var info = ImageInfo.FromStream(stream);
            return info is { Width: > 0, Height: > 0 } ? null : "not an image format StbImageSharp reads (or a damaged header)";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read: {e.Message}";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"a damaged header: {e.Message}";
        }
    }

    /// <summary>
    /// Decodes <paramref name="path"/> to <paramref name="channels"/> channels: 1 converts colour to
    /// grey, 3 expands grey to RGB; an alpha channel is dropped.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not an image StbImageSharp can decode; the message names it and says why.</exception>
    public static RawImage Read(string path, int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images are read as 1 (grey) or 3 (RGB) channels.");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
            throw new InvalidDataException($"{path}: the file is empty, not an image.");
        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // StbImageSharp reports a corrupt file with a bare exception ("unknown image type", "bad huffman code", ...).
            throw new InvalidDataException($"{path}: not a readable image ({bytes.Length:N0} bytes): {e.Message}", e);
        }
        if (result is null || result.Data is null || result.Width <= 0 || result.Height <= 0)
            throw new InvalidDataException($"{path}: not a readable image ({bytes.Length:N0} bytes).");
        return new RawImage(result.Width, result.Height, channels, result.Data).Validated();
    }
}
