using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// Local response normalisation across channels on the CPU, vectorised over the pixels of a
/// channel: <c>b = a (k + alpha * sum of a^2 over the window)^-beta</c>, the window kept inside
/// the channel's column. For the paper's beta of 0.75 the power is <c>1 / (sqrt(s) sqrt(sqrt(s)))</c>,
/// exact to a rounding and far cheaper than a general power.
/// </summary>
public static unsafe class CpuLrn
{
    /// <summary>Forward over <paramref name="batch"/> images.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in LrnGeometry g, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        var geometry = g;
        float* x = Host.Pointer(input), y = Host.Pointer(output);
        int pixels = geometry.Pixels;
        Host.For(batch * geometry.Channels, pixels * geometry.Size, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task) =>
        {
            int c = task % geometry.Channels;
            float* image = x + (long)(task - c) * pixels;
            var (first, last) = Window(geometry, c);
            float* xc = image + (long)c * pixels, yc = y + (long)task * pixels;
            int p = 0;
            for (; p <= pixels - 16; p += 16)
            {
                var squares = Squares(image + p, pixels, first, last);
                (Vector512.Load(xc + p) * Power(geometry, Scale(geometry, squares))).Store(yc + p);
            }
            for (; p < pixels; p++)
            {
                float squares = PixelSquares(image + p, pixels, first, last);
                yc[p] = xc[p] * PowerOf(geometry, geometry.K + geometry.Alpha * squares);
            }
        });
    }

    /// <summary>
    /// Backward: <c>dA_c = dB_c s_c^-beta - 2 alpha beta a_c * sum over i with c in window(i) of dB_i a_i s_i^(-beta-1)</c>.
    /// Each channel's term is computed once into a work area, then summed over the windows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(in LrnGeometry g, ArrayView<float> input, ArrayView<float> delta, ArrayView<float> inputGradient, int batch)
    {
        var geometry = g;
        float* x = Host.Pointer(input), dy = Host.Pointer(delta), dx = Host.Pointer(inputGradient);
        int pixels = geometry.Pixels;
        long count = (long)batch * geometry.Channels * pixels;
        float* power = (float*)Host.Scratch(2, count * sizeof(float));
        float* term = (float*)Host.Scratch(3, count * sizeof(float));
        Host.For(batch * geometry.Channels, pixels * geometry.Size, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task) =>
        {
            int c = task % geometry.Channels;
            float* image = x + (long)(task - c) * pixels;
            var (first, last) = Window(geometry, c);
            long plane = (long)task * pixels;
            int p = 0;
            for (; p <= pixels - 16; p += 16)
            {
                var squares = Squares(image + p, pixels, first, last);
                var scale = Scale(geometry, squares);
                var pw = Power(geometry, scale);
                pw.Store(power + plane + p);
                (Vector512.Load(dy + plane + p) * Vector512.Load(x + plane + p) * pw / scale).Store(term + plane + p);
            }
            for (; p < pixels; p++)
            {
                float squares = PixelSquares(image + p, pixels, first, last);
                float scale = geometry.K + geometry.Alpha * squares;
                float pw = PowerOf(geometry, scale);
                power[plane + p] = pw;
                term[plane + p] = dy[plane + p] * x[plane + p] * pw / scale;
            }
        });
        float coefficient = 2f * geometry.Alpha * geometry.Beta;
        Host.For(batch * geometry.Channels, pixels * geometry.Size, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task) =>
        {
            int c = task % geometry.Channels;
            long imagePlane = (long)(task - c) * pixels, plane = (long)task * pixels;
            var (first, last) = Window(geometry, c);
            int p = 0;
            for (; p <= pixels - 16; p += 16)
            {
                var sum = Vector512<float>.Zero;
                for (int i = first; i <= last; i++)
                    sum += Vector512.Load(term + imagePlane + (long)i * pixels + p);
                var value = Vector512.Load(dy + plane + p) * Vector512.Load(power + plane + p)
                    - Vector512.Create(coefficient) * Vector512.Load(x + plane + p) * sum;
                value.Store(dx + plane + p);
            }
            for (; p < pixels; p++)
            {
                float sum = 0f;
                for (int i = first; i <= last; i++)
                    sum += term[imagePlane + (long)i * pixels + p];
                dx[plane + p] = dy[plane + p] * power[plane + p] - coefficient * x[plane + p] * sum;
            }
        });
    }

    /// <summary>The channels of <paramref name="c"/>'s window, clipped to its column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int First, int Last) Window(in LrnGeometry g, int c)
    {
        int columnStart = c / g.ColumnChannels * g.ColumnChannels, half = g.Size / 2;
        return (Math.Max(c - half, columnStart), Math.Min(c + half, columnStart + g.ColumnChannels - 1));
    }

    /// <summary>The sum of squares over channels first..last of the 16 pixels at <paramref name="pixel"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Squares(float* pixel, int pixels, int first, int last)
    {
        var squares = Vector512<float>.Zero;
        for (int j = first; j <= last; j++)
        {
            var a = Vector512.Load(pixel + (long)j * pixels);
            squares = Vector512.FusedMultiplyAdd(a, a, squares);
        }
        return squares;
    }

    /// <summary>The same for the one pixel at <paramref name="pixel"/>, for the tail of a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float PixelSquares(float* pixel, int pixels, int first, int last)
    {
        float squares = 0f;
        for (int j = first; j <= last; j++)
        {
            float a = pixel[(long)j * pixels];
            squares += a * a;
        }
        return squares;
    }

    private static Vector512<float> Scale(in LrnGeometry g, Vector512<float> squares) =>
        Vector512.FusedMultiplyAdd(Vector512.Create(g.Alpha), squares, Vector512.Create(g.K));

    private static Vector512<float> Power(in LrnGeometry g, Vector512<float> scale)
    {
        if (g.Beta == 0.75f)
        {
            var root = Vector512.Sqrt(scale);
            return Vector512<float>.One / (root * Vector512.Sqrt(root));
        }
        return Vector512.Exp(Vector512.Log(scale) * Vector512.Create(-g.Beta));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float PowerOf(in LrnGeometry g, float scale)
    {
        if (g.Beta == 0.75f)
        {
            float root = MathF.Sqrt(scale);
            return 1f / (root * MathF.Sqrt(root));
        }
        return MathF.Pow(scale, -g.Beta);
    }
}
