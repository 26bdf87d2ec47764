using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using StbImageWriteSharp;

namespace NetGen.CommandLine;

/// <summary>
/// The JPEGs <c>netgen bench --pipeline</c> measures when it is given no images of the user's: square RGB
/// pictures with smooth gradients, a wave, a few hard-edged discs and pixel noise, so the decoder has
/// real work (about 30 KB at 256 x 256 and quality 90, 4:2:0 chroma, as a resized photo weighs),
/// not a flat image that decodes from almost nothing. Every pixel is a hash of (image, position), so
/// the set is the same on every machine.
/// </summary>
internal static class SyntheticImages
{
    /// <summary>The JPEG quality they are written at: stb's writer subsamples chroma 4:2:0 at 90 and below, as most photos are stored.</summary>
    public const int Quality = 90;

    /// <summary>Writes <paramref name="count"/> JPEGs of <paramref name="size"/> x <paramref name="size"/> into <paramref name="classes"/> class folders under <paramref name="root"/>; returns their bytes in all.</summary>
    public static long Write(string root, int count, int size, int classes = 4)
    {
        classes = Math.Clamp(classes, 1, count);
        for (int c = 0; c < classes; c++)
            Directory.CreateDirectory(Path.Combine(root, ClassName(c)));
        long bytes = 0;
        Parallel.For(0, count, i =>
        {
            var pixels = Pixels(i, size);
            using var stream = File.Create(Path.Combine(root, ClassName(i % classes), $"{i:D5}.jpg"));
            new ImageWriter().WriteJpg(pixels, size, size, ColorComponents.RedGreenBlue, stream, Quality);
            Interlocked.Add(ref bytes, stream.Length);
        });
        return bytes;
    }

    private static string ClassName(int c) => $"class{c}";

    /// <summary>Image <paramref name="image"/>'s RGB samples (HWC).</summary>
    internal static byte[] Pixels(int image, int size)
    {
        ulong id = (ulong)image;
        float Draw(int k) => CounterHash.Uniform(7, id, (ulong)k);
        var pixels = new byte[size * size * 3];
        // Per channel: a base, a gradient across and down, and a slanted wave of a few cycles.
        Span<float> level = stackalloc float[3], across = stackalloc float[3], down = stackalloc float[3], wave = stackalloc float[3], phase = stackalloc float[3];
        for (int c = 0; c < 3; c++)
        {
            level[c] = 60 + 120 * Draw(c);
            across[c] = 80 * (Draw(3 + c) - 0.5f);
            down[c] = 80 * (Draw(6 + c) - 0.5f);
            wave[c] = 40 * Draw(9 + c);
            phase[c] = MathF.Tau * Draw(12 + c);
        }
        float cyclesX = 1 + 5 * Draw(15), cyclesY = 1 + 5 * Draw(16);
        // Discs with hard edges, as objects against a background.
        const int discs = 6;
        Span<float> discX = stackalloc float[discs], discY = stackalloc float[discs], radius = stackalloc float[discs], colour = stackalloc float[discs * 3];
        for (int d = 0; d < discs; d++)
        {
            discX[d] = size * Draw(20 + d);
            discY[d] = size * Draw(30 + d);
            radius[d] = size * (0.05f + 0.2f * Draw(40 + d));
            for (int c = 0; c < 3; c++)
                colour[d * 3 + c] = 255 * Draw(50 + d * 3 + c);
        }
        for (int y = 0; y < size; y++)
        {
            float v = (float)y / size;
            for (int x = 0; x < size; x++)
            {
                float u = (float)x / size;
                int disc = -1;
                for (int d = 0; d < discs; d++)
                {
                    float dx = x - discX[d], dy = y - discY[d];
                    if (dx * dx + dy * dy < radius[d] * radius[d])
                        disc = d;
                }
                ulong position = (ulong)(y * size + x);
                for (int c = 0; c < 3; c++)
                {
                    float value = disc >= 0 ? colour[disc * 3 + c] + 20 * (u - 0.5f)
                        : level[c] + across[c] * u + down[c] * v + wave[c] * MathF.Sin(MathF.Tau * (cyclesX * u + cyclesY * v) + phase[c]);
                    // Noise of about +-12 levels, triangular: the fine texture a photo's grain and detail give the coder.
                    value += 12 * (CounterHash.Uniform(8, id, position * 6 + (ulong)c) + CounterHash.Uniform(8, id, position * 6 + 3 + (ulong)c) - 1);
                    pixels[(y * size + x) * 3 + c] = (byte)Math.Clamp(MathF.Round(value), 0, 255);
                }
            }
        }
        return pixels;
    }
}
