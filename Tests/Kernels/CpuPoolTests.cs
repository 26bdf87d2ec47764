using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NetGen.Cpu;

namespace NetGen.Tests.Kernels;

/// <summary>
/// The CPU backend's max pool, called directly, against a plain loop written here: forward takes
/// each window's maximum; backward sends each output's gradient to its window's first maximum in
/// row-major order, summing the shares of overlapping windows in output order. Values are drawn
/// from eight levels so ties are common, and the comparison is bit for bit. The geometries cover
/// the vectorised stride-2 path (AlexNet's and MiniAlexNet's 3/2 pools and the 2/2 pool, floor and
/// ceil rounding, rows of more than 16 outputs) and the scalar path beside it (padding, other windows and strides).
/// </summary>
public class CpuPoolTests
{
    [Theory]
    [InlineData(28, 28, 3, 2, 0, 14, 14)] // MiniAlexNet conv1, ceil
    [InlineData(14, 14, 3, 2, 0, 7, 7)]   // MiniAlexNet conv2, ceil
    [InlineData(7, 7, 3, 2, 0, 3, 3)]     // a 7x7 plane, floor
    [InlineData(55, 55, 3, 2, 0, 27, 27)] // AlexNet conv1: two chunks of 16 outputs
    [InlineData(13, 13, 3, 2, 0, 6, 6)]   // AlexNet conv5
    [InlineData(70, 5, 3, 2, 0, 35, 2)]   // wide, short: three chunks, ceil
    [InlineData(28, 28, 2, 2, 0, 14, 14)] // window 2, stride 2 (a ResNet's stem): the vectorised path, windows tiling the plane
    [InlineData(20, 6, 2, 2, 0, 10, 3)]   // tiling, a row shorter than two vectors
    [InlineData(7, 7, 2, 2, 0, 4, 4)]     // the same, ceil: the last window has one row and one column
    [InlineData(40, 9, 2, 2, 0, 20, 4)]   // two chunks of 16 outputs, floor
    [InlineData(11, 11, 3, 2, 1, 6, 6)]   // padded: the scalar path
    [InlineData(9, 9, 2, 1, 0, 8, 8)]     // window 2, stride 1: the scalar path
    public void MaxPoolMatchesTheLoopBitForBit(int width, int height, int window, int stride, int pad, int outWidth, int outHeight)
    {
        const int planes = 5;
        var g = new PoolGeometry(IsMax: true, height, width, window, stride, pad, outHeight, outWidth);
        var random = new Random(width * 31 + height);
        var x = new float[planes * height * width];
        for (int i = 0; i < x.Length; i++)
            x[i] = random.Next(8) * 0.25f - 1f;
        var dy = new float[planes * outHeight * outWidth];
        for (int i = 0; i < dy.Length; i++)
            dy[i] = (float)(random.NextDouble() * 2 - 1);

        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        using var input = accelerator.Allocate1D(x);
        using var output = accelerator.Allocate1D<float>(dy.Length);
        using var delta = accelerator.Allocate1D(dy);
        using var gradient = accelerator.Allocate1D<float>(x.Length);
        CpuPool.Forward(g, input.View, output.View, planes);
        CpuPool.Backward(g, input.View, delta.View, gradient.View, planes);

        var (expectedY, expectedDx) = Loop(g, x, dy, planes);
        Assert.Equal(expectedY, output.GetAsArray1D());
        Assert.Equal(expectedDx, gradient.GetAsArray1D());
    }

    private static (float[] Y, float[] Dx) Loop(PoolGeometry g, float[] x, float[] dy, int planes)
    {
        var y = new float[dy.Length];
        var dx = new float[x.Length];
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < g.OutHeight; oy++)
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int o = (p * g.OutHeight + oy) * g.OutWidth + ox, first = -1;
                    for (int ky = 0; ky < g.Window; ky++)
                        for (int kx = 0; kx < g.Window; kx++)
                        {
                            int iy = oy * g.Stride - g.Pad + ky, ix = ox * g.Stride - g.Pad + kx;
                            if (iy < 0 || ix < 0 || iy >= g.Height || ix >= g.Width)
                                continue;
                            int i = (p * g.Height + iy) * g.Width + ix;
                            if (first < 0 || x[i] > x[first])
                                first = i;
                        }
                    y[o] = x[first];
                    dx[first] += dy[o];
                }
        return (y, dx);
    }
}
