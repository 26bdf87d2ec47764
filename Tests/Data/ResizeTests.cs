using System;
using NetGen.Data;
using Xunit;

namespace NetGen.Tests.Data;

/// <summary>
/// <see cref="Resize.To"/> against the triangle filter written out here as plain loops, one value
/// at a time, bit for bit: the fast passes must keep every sum's terms and order.
/// </summary>
public sealed class ResizeTests
{
    [Theory]
    [InlineData(432, 432, 3, 256, 256)]
    [InlineData(500, 375, 3, 341, 256)]
    [InlineData(37, 301, 1, 29, 256)]
    [InlineData(64, 48, 3, 200, 150)]
    [InlineData(20, 20, 4, 7, 33)]
    public void EqualsThePlainTriangleFilter(int width, int height, int channels, int targetWidth, int targetHeight)
    {
        var random = new Random(width * 31 + height);
        var pixels = new byte[width * height * channels];
        random.NextBytes(pixels);
        var image = new RawImage(width, height, channels, pixels);
        Assert.Equal(Reference(image, targetWidth, targetHeight), Resize.To(image, targetWidth, targetHeight).Pixels);
    }

    /// <summary>Rows then columns, each output the normalised triangle weights (widened by the scale when shrinking) times the inputs, in order.</summary>
    private static byte[] Reference(RawImage image, int width, int height)
    {
        int c = image.Channels;
        var rows = new float[image.Height * width * c];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < width; x++)
            {
                var (first, weights) = Weights(image.Width, width, x);
                for (int ch = 0; ch < c; ch++)
                {
                    float sum = 0;
                    for (int k = 0; k < weights.Length; k++)
                        sum += weights[k] * image.Pixels[(y * image.Width + first + k) * c + ch];
                    rows[(y * width + x) * c + ch] = sum;
                }
            }
        var result = new byte[width * height * c];
        for (int y = 0; y < height; y++)
        {
            var (first, weights) = Weights(image.Height, height, y);
            for (int i = 0; i < width * c; i++)
            {
                float sum = 0;
                for (int k = 0; k < weights.Length; k++)
                    sum += weights[k] * rows[(first + k) * width * c + i];
                result[y * width * c + i] = (byte)Math.Clamp(MathF.Round(sum), 0, 255);
            }
        }
        return result;
    }

    private static (int First, float[] Weights) Weights(int source, int target, int i)
    {
        double scale = (double)source / target, support = Math.Max(1.0, scale), centre = (i + 0.5) * scale;
        int first = Math.Max(0, (int)Math.Floor(centre - support)), last = Math.Min(source - 1, (int)Math.Ceiling(centre + support));
        var weights = new float[last - first + 1];
        double total = 0;
        for (int s = first; s <= last; s++)
            total += weights[s - first] = (float)Math.Max(0.0, 1.0 - Math.Abs(s + 0.5 - centre) / support);
        for (int k = 0; k < weights.Length; k++)
            weights[k] = (float)(weights[k] / total);
        return (first, weights);
    }
}
