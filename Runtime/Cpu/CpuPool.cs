using System;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// Max and average pooling on the CPU, one (image, channel) plane per task. The rules are the
/// ILGPU kernels': padding never wins a max and ties go to the first element in row-major order;
/// an average counts padding as zeros but not the part of a ceil-rounded window past the padding.
/// </summary>
public static unsafe class CpuPool
{
    /// <summary>Forward over <paramref name="planes"/> (batch x channels) planes.</summary>
    public static void Forward(in PoolGeometry g, ArrayView<float> input, ArrayView<float> output, int planes)
    {
        var geometry = g;
        float* x = Host.Pointer(input), y = Host.Pointer(output);
        Host.For(planes, (long)g.OutHeight * g.OutWidth * g.Window * g.Window, plane =>
        {
            float* src = x + (long)plane * geometry.Height * geometry.Width;
            float* dst = y + (long)plane * geometry.OutHeight * geometry.OutWidth;
            for (int oy = 0; oy < geometry.OutHeight; oy++)
            {
                for (int ox = 0; ox < geometry.OutWidth; ox++)
                {
                    var w = Window(geometry, oy, ox);
                    float value = geometry.IsMax ? float.NegativeInfinity : 0f;
                    for (int iy = w.Top; iy < w.Bottom; iy++)
                    {
                        for (int ix = w.Left; ix < w.Right; ix++)
                        {
                            float a = src[iy * geometry.Width + ix];
                            if (!geometry.IsMax)
                                value += a;
                            else if (a > value)
                                value = a;
                        }
                    }
                    dst[oy * geometry.OutWidth + ox] = geometry.IsMax ? value : value / w.Divisor;
                }
            }
        });
    }

    /// <summary>
    /// Backward: each output's gradient goes to the element its max took (the first maximum), or is
    /// shared over its average window. A plane's outputs are visited in order, so sums are deterministic.
    /// </summary>
    public static void Backward(in PoolGeometry g, ArrayView<float> input, ArrayView<float> delta, ArrayView<float> inputGradient, int planes)
    {
        var geometry = g;
        float* x = Host.Pointer(input), dy = Host.Pointer(delta), dx = Host.Pointer(inputGradient);
        Host.For(planes, (long)g.OutHeight * g.OutWidth * g.Window * g.Window, plane =>
        {
            int size = geometry.Height * geometry.Width;
            float* src = x + (long)plane * size, grad = dx + (long)plane * size;
            float* d = dy + (long)plane * geometry.OutHeight * geometry.OutWidth;
            new Span<float>(grad, size).Clear();
            for (int oy = 0; oy < geometry.OutHeight; oy++)
            {
                for (int ox = 0; ox < geometry.OutWidth; ox++)
                {
                    var w = Window(geometry, oy, ox);
                    float gradient = d[oy * geometry.OutWidth + ox];
                    if (!geometry.IsMax)
                    {
                        float share = gradient / w.Divisor;
                        for (int iy = w.Top; iy < w.Bottom; iy++)
                            for (int ix = w.Left; ix < w.Right; ix++)
                                grad[iy * geometry.Width + ix] += share;
                        continue;
                    }
                    float best = float.NegativeInfinity;
                    int chosen = -1;
                    for (int iy = w.Top; iy < w.Bottom; iy++)
                    {
                        for (int ix = w.Left; ix < w.Right; ix++)
                        {
                            float a = src[iy * geometry.Width + ix];
                            if (a > best)
                            {
                                best = a;
                                chosen = iy * geometry.Width + ix;
                            }
                        }
                    }
                    if (chosen >= 0)
                        grad[chosen] += gradient;
                }
            }
        });
    }

    /// <summary>The window of output (oy, ox) clipped to the input, and its average's divisor.</summary>
    private static (int Top, int Bottom, int Left, int Right, float Divisor) Window(in PoolGeometry g, int oy, int ox)
    {
        int y0 = oy * g.Stride - g.Pad, x0 = ox * g.Stride - g.Pad;
        // The divisor counts padding but not what a ceil-rounded window has past it.
        int y1 = Math.Min(y0 + g.Window, g.Height + g.Pad), x1 = Math.Min(x0 + g.Window, g.Width + g.Pad);
        float divisor = (y1 - y0) * (x1 - x0);
        return (Math.Max(y0, 0), Math.Min(y0 + g.Window, g.Height), Math.Max(x0, 0), Math.Min(x0 + g.Window, g.Width), divisor);
    }
}
