using System;

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
    public static RawImage To(RawImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        int c = image.Channels;
        var horizontal = Weights(image.Width, width);
        var vertical = Weights(image.Height, height);
        // Horizontal pass into floats (height of the source x new width), then the vertical pass into bytes.
        var rows = new float[image.Height * width * c];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < width; x++)
            {
                var (first, weights) = horizontal[x];
                for (int ch = 0; ch < c; ch++)
                {
                    float sum = 0;
                    for (int k = 0; k < weights.Length; k++)
                        sum += weights[k] * image.Pixels[(y * image.Width + first + k) * c + ch];
                    rows[(y * width + x) * c + ch] = sum;
                }
            }
        var pixels = new byte[width * height * c];
        for (int y = 0; y < height; y++)
        {
            var (first, weights) = vertical[y];
            for (int i = 0; i < width * c; i++)
            {
                float sum = 0;
                for (int k = 0; k < weights.Length; k++)
                    sum += weights[k] * rows[(first + k) * width * c + i];
                pixels[y * width * c + i] = (byte)Math.Clamp(MathF.Round(sum), 0, 255);
            }
        }
        return new RawImage(width, height, c, pixels);
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
