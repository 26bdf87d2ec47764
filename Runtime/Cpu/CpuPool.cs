using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// Max and average pooling on the CPU, one (image, channel) plane per task. The rules are the
/// ILGPU kernels': padding never wins a max and ties go to the first element in row-major order;
/// an average counts padding as zeros but not the part of a ceil-rounded window past the padding.
/// </summary>
public static unsafe partial class CpuPool
{
    /// <summary>Forward over <paramref name="planes"/> (batch x channels) planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in PoolGeometry g, ArrayView<float> input, ArrayView<float> output, int planes)
    {
        var geometry = g;
        float* x = Host.Pointer(input), y = Host.Pointer(output);
        Host.For(planes, (long)g.OutHeight * g.OutWidth * g.Window * g.Window, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (plane) =>
            ForwardPlane(geometry, x + (long)plane * geometry.Height * geometry.Width, y + (long)plane * geometry.OutHeight * geometry.OutWidth));
    }

    /// <summary>
    /// Backward: each output's gradient goes to the element its max took (the first maximum), or is
    /// shared over its average window. A plane's outputs are visited in order, so sums are deterministic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(in PoolGeometry g, ArrayView<float> input, ArrayView<float> delta, ArrayView<float> inputGradient, int planes)
    {
        var geometry = g;
        float* x = Host.Pointer(input), dy = Host.Pointer(delta), dx = Host.Pointer(inputGradient);
        Host.For(planes, (long)g.OutHeight * g.OutWidth * g.Window * g.Window, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (plane) =>
        {
            long size = (long)geometry.Height * geometry.Width;
            BackwardPlane(geometry, x + plane * size, dy + (long)plane * geometry.OutHeight * geometry.OutWidth, dx + plane * size);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPlane(in PoolGeometry g, float* src, float* dst)
    {
        if (IsStride2Max(g))
        {
            Stride2ForwardPlane(g, src, dst);
            return;
        }
        int width = g.Width;
        // A max is separable: first the maximum down each column of the window's rows, vectorised
        // along the row, then across each window of that.
        float* columns = stackalloc float[g.IsMax ? width : 0];
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int y0 = oy * g.Stride - g.Pad, top = Math.Max(y0, 0), bottom = Math.Min(y0 + g.Window, g.Height);
            if (g.IsMax)
                ColumnMaxima(src, width, top, bottom, columns);
            for (int ox = 0; ox < g.OutWidth; ox++, dst++)
            {
                int x0 = ox * g.Stride - g.Pad, left = Math.Max(x0, 0), right = Math.Min(x0 + g.Window, width);
                if (g.IsMax)
                {
                    float value = float.NegativeInfinity;
                    for (int ix = left; ix < right; ix++)
                        value = columns[ix] > value ? columns[ix] : value;
                    *dst = value;
                }
                else
                {
                    float sum = 0f;
                    for (int iy = top; iy < bottom; iy++)
                    {
                        float* row = src + iy * width;
                        for (int ix = left; ix < right; ix++)
                            sum += row[ix];
                    }
                    *dst = sum / Divisor(g, y0, x0);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardPlane(in PoolGeometry g, float* src, float* d, float* grad)
    {
        if (IsStride2Max(g))
        {
            Stride2BackwardPlane(g, src, d, grad);
            return;
        }
        int width = g.Width;
        new Span<float>(grad, g.Height * width).Clear();
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int y0 = oy * g.Stride - g.Pad, top = Math.Max(y0, 0), bottom = Math.Min(y0 + g.Window, g.Height);
            for (int ox = 0; ox < g.OutWidth; ox++, d++)
            {
                int x0 = ox * g.Stride - g.Pad, left = Math.Max(x0, 0), right = Math.Min(x0 + g.Window, width);
                if (!g.IsMax)
                {
                    float share = *d / Divisor(g, y0, x0);
                    for (int iy = top; iy < bottom; iy++)
                        for (int ix = left; ix < right; ix++)
                            grad[iy * width + ix] += share;
                    continue;
                }
                float best = float.NegativeInfinity;
                int chosen = -1;
                for (int iy = top; iy < bottom; iy++)
                {
                    float* row = src + iy * width;
                    for (int ix = left; ix < right; ix++)
                    {
                        if (row[ix] > best)
                        {
                            best = row[ix];
                            chosen = iy * width + ix;
                        }
                    }
                }
                if (chosen >= 0)
                    grad[chosen] += *d;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnMaxima(float* src, int width, int top, int bottom, float* columns, bool padded = false)
    {
        int ix = 0;
        for (; ix <= width - 16; ix += 16)
            Maxima(src + ix, width, top, bottom).Store(columns + ix);
        if (ix == width)
            return;
        // A scalar tail, with a data-dependent branch per element, cost more than the whole vector
        // loop. A row of 16 or more does its last 16 columns again, overlapping the ones done; a
        // narrower one (MiniAlexNet's 14 x 14 and 7 x 7 planes) loads its columns masked, and
        // stores them whole when the buffer is padded: a masked store cannot forward to the loads
        // that read the buffer right after.
        if (width >= 16)
        {
            ix = width - 16;
            Maxima(src + ix, width, top, bottom).Store(columns + ix);
        }
        else if (Avx512F.IsSupported)
        {
            var mask = Host.FirstLanes(width);
            var none = Vector512.Create(float.NegativeInfinity);
            var value = none;
            for (int iy = top; iy < bottom; iy++)
                value = Vector512.Max(value, Avx512F.MaskLoad(src + iy * width, mask, none));
            if (padded)
                value.Store(columns);
            else
                Avx512F.MaskStore(columns, mask, value);
        }
        else
        {
            for (; ix < width; ix++)
            {
                float value = float.NegativeInfinity;
                for (int iy = top; iy < bottom; iy++)
                    value = MathF.Max(value, src[iy * width + ix]);
                columns[ix] = value;
            }
        }
    }

    /// <summary>The maxima down 16 columns from <paramref name="column"/> over rows top..bottom-1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Maxima(float* column, int width, int top, int bottom)
    {
        var value = Vector512.Create(float.NegativeInfinity);
        for (int iy = top; iy < bottom; iy++)
            value = Vector512.Max(value, Vector512.Load(column + iy * width));
        return value;
    }

    /// <summary>An average window's divisor: padding counts, the part of a ceil-rounded window past the padding does not.</summary>
    private static float Divisor(in PoolGeometry g, int y0, int x0) =>
        (Math.Min(y0 + g.Window, g.Height + g.Pad) - y0) * (Math.Min(x0 + g.Window, g.Width + g.Pad) - x0);
}
