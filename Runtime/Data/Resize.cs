using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetGen.Data;

/// <summary>
/// Rescaling and cropping of 8-bit images. Written here because no image library that restores in
/// this registry resizes (StbImageResizeSharp and ImageSharp do not restore); the filter is the
/// triangle (bilinear) filter widened by the scale factor when shrinking, as PIL's antialiased
/// bilinear resize does, so a 500-pixel photo shrunk to 256 does not alias.
/// </summary>
public static class Resize
{
    /// <summary>
    /// AlexNet's first step: rescale so the shorter side is <paramref name="size"/>, then crop the
    /// central <paramref name="size"/> x <paramref name="size"/> patch. An image already that size comes back as it is.
    /// </summary>
    public static RawImage ShorterSideAndCentreCrop(RawImage image, int size)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width == size && image.Height == size)
            return image;
        double scale = (double)size / Math.Min(image.Width, image.Height);
        int width = Math.Max(size, (int)Math.Round(image.Width * scale)), height = Math.Max(size, (int)Math.Round(image.Height * scale));
        var resized = To(image, width, height);
        return Crop(resized, (width - size) / 2, (height - size) / 2, size, size);
    }

    /// <summary>The <paramref name="width"/> x <paramref name="height"/> patch of <paramref name="image"/> whose top-left corner is (<paramref name="left"/>, <paramref name="top"/>).</summary>
    public static RawImage Crop(RawImage image, int left, int top, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (left < 0 || top < 0 || left + width > image.Width || top + height > image.Height)
            throw new ArgumentOutOfRangeException(nameof(left), $"A {width}x{height} crop at ({left}, {top}) does not fit a {image.Width}x{image.Height} image.");
        int c = image.Channels;
        var pixels = new byte[width * height * c];
        for (int y = 0; y < height; y++)
            image.Pixels.AsSpan(((top + y) * image.Width + left) * c, width * c).CopyTo(pixels.AsSpan(y * width * c));
        return new RawImage(width, height, c, pixels);
    }

    /// <summary>Resamples <paramref name="image"/> to <paramref name="width"/> x <paramref name="height"/>, rows then columns.</summary>
    /// <remarks>
    /// Every value is the same sum in the same order, <c>sum += weight * value</c> tap after tap,
    /// whichever pass computes it; the vertical pass runs sixteen values at a time (a multiply and an
    /// add, not a fused multiply-add, so the bits are the scalar loop's).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RawImage To(RawImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        int c = image.Channels, sourceRow = image.Width * c, rowLength = width * c;
        var horizontal = Weights(image.Width, width);
        var vertical = Weights(image.Height, height);
        // Horizontal pass into floats (height of the source x new width), then the vertical pass into bytes.
        var rows = new float[image.Height * rowLength];
        var line = new float[sourceRow];
        for (int y = 0; y < image.Height; y++)
        {
            // The source row as floats once (exact), rather than each byte converted at every tap that reads it.
            var bytes = image.Pixels.AsSpan(y * sourceRow, sourceRow);
            for (int i = 0; i < sourceRow; i++)
                line[i] = bytes[i];
            HorizontalRow(line, rows.AsSpan(y * rowLength, rowLength), horizontal, c);
        }
        var pixels = new byte[height * rowLength];
        var sums = new float[rowLength];
        for (int y = 0; y < height; y++)
        {
            var (first, weights) = vertical[y];
            Array.Clear(sums);
            for (int k = 0; k < weights.Length; k++)
                AddScaled(sums, rows.AsSpan((first + k) * rowLength, rowLength), weights[k]);
            var target = pixels.AsSpan(y * rowLength, rowLength);
            for (int i = 0; i < rowLength; i++)
                target[i] = (byte)Math.Clamp(MathF.Round(sums[i]), 0, 255);
        }
        return new RawImage(width, height, c, pixels);
    }

    /// <summary>One row of the horizontal pass: each output pixel's channels, summed tap after tap (three channels together for colour).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HorizontalRow(ReadOnlySpan<float> line, Span<float> target, (int First, float[] Weights)[] horizontal, int c)
    {
        for (int x = 0; x < horizontal.Length; x++)
        {
            var (first, weights) = horizontal[x];
            var taps = line.Slice(first * c, weights.Length * c);
            if (c == 3)
            {
                float r = 0, g = 0, b = 0;
                for (int k = 0; k < weights.Length; k++)
                {
                    float w = weights[k];
                    r += w * taps[3 * k];
                    g += w * taps[3 * k + 1];
                    b += w * taps[3 * k + 2];
                }
                target[3 * x] = r;
                target[3 * x + 1] = g;
                target[3 * x + 2] = b;
                continue;
            }
            for (int ch = 0; ch < c; ch++)
            {
                float sum = 0;
                for (int k = 0; k < weights.Length; k++)
                    sum += weights[k] * taps[k * c + ch];
                target[x * c + ch] = sum;
            }
        }
    }

    /// <summary><c>sums[i] += weight * values[i]</c>, sixteen at a time: a multiply, then an add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddScaled(Span<float> sums, ReadOnlySpan<float> values, float weight)
    {
        int i = 0;
        var w = Vector512.Create(weight);
        for (; i <= sums.Length - 16; i += 16)
        {
            var product = Vector512.Multiply(w, Vector512.Create(values.Slice(i, 16)));
            Vector512.Add(Vector512.Create(sums.Slice(i, 16)), product).CopyTo(sums.Slice(i, 16));
        }
        for (; i < sums.Length; i++)
            sums[i] += weight * values[i];
    }

    /// <summary>For each output position: the first source position it reads and the normalised triangle weights from there.</summary>
    private static (int First, float[] Weights)[] Weights(int source, int target)
    {
        double scale = (double)source / target, support = Math.Max(1.0, scale);
        var result = new (int, float[])[target];
        for (int i = 0; i < target; i++)
        {
            double centre = (i + 0.5) * scale;
            int first = Math.Max(0, (int)Math.Floor(centre - support)), last = Math.Min(source - 1, (int)Math.Ceiling(centre + support));
            var weights = new float[last - first + 1];
            double total = 0;
            for (int s = first; s <= last; s++)
                total += weights[s - first] = (float)Math.Max(0.0, 1.0 - Math.Abs(s + 0.5 - centre) / support);
            for (int k = 0; k < weights.Length; k++)
                weights[k] = (float)(weights[k] / total);
            result[i] = (first, weights);
        }
        return result;
    }
}
