using System;
using System.IO;
using StbImageWriteSharp;

namespace NetGen.CommandLine.Reports;

/// <summary>An RGB canvas that tiles are pasted into, written as PNG: the learned filters, the nearest images.</summary>
internal sealed class ImageGrid
{
    private readonly byte[] pixels;

    public ImageGrid(int width, int height, byte background = 255)
    {
        Width = width;
        Height = height;
        pixels = new byte[width * height * 3];
        Array.Fill(pixels, background);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>
    /// Pastes a tile of <paramref name="tileWidth"/> x <paramref name="tileHeight"/> samples with
    /// <paramref name="channels"/> channels (1 or 3, HWC), each sample drawn as a <paramref name="scale"/>-pixel square.
    /// </summary>
    public void Paste(ReadOnlySpan<byte> tile, int tileWidth, int tileHeight, int channels, int left, int top, int scale = 1)
    {
        for (int y = 0; y < tileHeight * scale; y++)
            for (int x = 0; x < tileWidth * scale; x++)
            {
                int source = ((y / scale) * tileWidth + x / scale) * channels, target = ((top + y) * Width + left + x) * 3;
                for (int c = 0; c < 3; c++)
                    pixels[target + c] = tile[source + (channels == 3 ? c : 0)];
            }
    }

    /// <summary>Draws a rectangle's outline, <paramref name="thickness"/> pixels wide, in an RGB colour.</summary>
    public void Frame(int left, int top, int width, int height, int thickness, (byte R, byte G, byte B) colour)
    {
        for (int y = top; y < top + height; y++)
            for (int x = left; x < left + width; x++)
                if (y - top < thickness || top + height - 1 - y < thickness || x - left < thickness || left + width - 1 - x < thickness)
                    (pixels[(y * Width + x) * 3], pixels[(y * Width + x) * 3 + 1], pixels[(y * Width + x) * 3 + 2]) = colour;
    }

    /// <summary>Writes the canvas to <paramref name="path"/> as PNG.</summary>
    public void Save(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
            Directory.CreateDirectory(folder);
        using var stream = File.Create(path);
        new ImageWriter().WritePng(pixels, Width, Height, ColorComponents.RedGreenBlue, stream);
    }
}
