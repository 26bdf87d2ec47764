using System;
using NetGen.Cpu;

namespace NetGen.Tests.Kernels;

/// <summary>
/// The transpose of activation planes into a (image, pixel) x channel matrix, which the weight
/// gradient's product reads, against the definition: planes smaller and larger than a block of 16
/// columns (so blocks cross images), the planes of every other channel (as a second group's), and
/// a last block that is cut short.
/// </summary>
public unsafe class TransposeTests
{
    [Theory]
    [InlineData(48, 49, 3)]
    [InlineData(20, 7, 5)]
    [InlineData(32, 196, 2)]
    [InlineData(16, 1, 21)]
    [InlineData(5, 30, 2)]
    public void ColumnsMatchTheDefinition(int channels, int pixels, int images)
    {
        var random = new Random(channels * 1000 + pixels);
        long imageStride = 2L * channels * pixels; // the group's channels, then as many others
        var source = new float[images * imageStride];
        for (int i = 0; i < source.Length; i++)
            source[i] = (float)random.NextDouble();
        int columns = images * pixels;
        var target = new float[columns * channels];
        fixed (float* s = source, t = target)
            for (int j0 = 0; j0 < columns; j0 += 16)
                Transpose.Columns(s, imageStride, pixels, channels, columns, j0, t);
        for (int j = 0; j < columns; j++)
            for (int c = 0; c < channels; c++)
                Assert.True(source[j / pixels * imageStride + c * pixels + j % pixels] == target[j * channels + c], $"column {j}, channel {c}");
    }
}
