using System;

namespace NetGen.Data;

/// <summary>
/// A decoded image: 8-bit samples, rows top to bottom, each pixel's channels interleaved (HWC), as
/// image files and IDX files store them.
/// </summary>
/// <param name="Width">Pixels per row.</param>
/// <param name="Height">Rows.</param>
/// <param name="Channels">1 (grey) or 3 (RGB).</param>
/// <param name="Pixels">Height x Width x Channels samples.</param>
public sealed record RawImage(int Width, int Height, int Channels, byte[] Pixels)
{
    /// <summary>The sample of channel <paramref name="c"/> at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public byte this[int y, int x, int c] => Pixels[(y * Width + x) * Channels + c];

    /// <summary>Checks that the pixel array holds exactly Height x Width x Channels samples.</summary>
    public RawImage Validated()
    {
        if (Width <= 0 || Height <= 0 || Channels is not (1 or 3) || Pixels is null || Pixels.Length != (long)Width * Height * Channels)
            throw new ArgumentException($"A {Width}x{Height} image with {Channels} channels needs {(long)Width * Height * Channels} samples, not {Pixels?.Length}.");
        return this;
    }
}
