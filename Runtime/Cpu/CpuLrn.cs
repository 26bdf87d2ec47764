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
    /// Backward: <c>dA_c = dB_c s_c^-beta - 2 alpha beta a_c * sum over i in window(c) of dB_i a_i s_i^(-beta-1)</c>
    /// (c lies in i's window exactly when i lies in c's). Each image runs through its channels in
    /// order, keeping the last few channels' terms and powers in a ring the size of the window, so
    /// the pass reads the input and the gradient once and writes the result once, with no work
    /// area the size of the activation.
    /// </summary>
    /// <remarks>With <paramref name="maskRelu"/> the result is also zero wherever the input is not positive: the derivative of a ReLU before the normalisation, folded in.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(in LrnGeometry g, ArrayView<float> input, ArrayView<float> delta, ArrayView<float> inputGradient, int batch, bool maskRelu = false)
    {
        var geometry = g;
        float* x = Host.Pointer(input), dy = Host.Pointer(delta), dx = Host.Pointer(inputGradient);
        int pixels = geometry.Pixels, channels = geometry.Channels, ring = geometry.Size / 2 * 2 + 1;
        float coefficient = 2f * geometry.Alpha * geometry.Beta;
        Host.For(batch, (long)channels * pixels * geometry.Size, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n) =>
        {
            long offset = (long)n * channels * pixels;
            float* image = x + offset, gradient = dy + offset, result = dx + offset;
            // Per ring slot: the channel's term dB a s^(-beta-1), then its power s^-beta.
            float* terms = (float*)Host.Scratch(7, 2L * ring * pixels * sizeof(float));
            int next = 0;
            for (int c = 0; c < channels; c++)
            {
                var (first, last) = Window(geometry, c);
                for (; next <= last; next++)
                    Term(geometry, image, gradient, next, terms + (long)(next % ring) * 2 * pixels);
                float* power = terms + ((long)(c % ring) * 2 + 1) * pixels;
                float* xc = image + (long)c * pixels, dyc = gradient + (long)c * pixels, dxc = result + (long)c * pixels;
                int p = 0;
                for (; p <= pixels - 16; p += 16)
                {
                    var sum = Vector512<float>.Zero;
                    for (int i = first; i <= last; i++)
                        sum += Vector512.Load(terms + (long)(i % ring) * 2 * pixels + p);
                    var a = Vector512.Load(xc + p);
                    var value = Vector512.Load(dyc + p) * Vector512.Load(power + p) - Vector512.Create(coefficient) * a * sum;
                    if (maskRelu)
                        value &= Vector512.GreaterThan(a, Vector512<float>.Zero);
                    value.Store(dxc + p);
                }
                for (; p < pixels; p++)
                {
                    float sum = 0f;
                    for (int i = first; i <= last; i++)
                        sum += terms[(long)(i % ring) * 2 * pixels + p];
                    dxc[p] = maskRelu && !(xc[p] > 0f) ? 0f : dyc[p] * power[p] - coefficient * xc[p] * sum;
                }
            }
        });
    }

    /// <summary>Channel <paramref name="c"/>'s term <c>dB a s^(-beta-1)</c> and power <c>s^-beta</c>, into <paramref name="slot"/> and the plane after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Term(in LrnGeometry g, float* image, float* gradient, int c, float* slot)
    {
        int pixels = g.Pixels;
        var (first, last) = Window(g, c);
        float* xc = image + (long)c * pixels, dyc = gradient + (long)c * pixels, power = slot + pixels;
        int p = 0;
        for (; p <= pixels - 16; p += 16)
        {
            var scale = Scale(g, Squares(image + p, pixels, first, last));
            var pw = Power(g, scale);
            pw.Store(power + p);
            (Vector512.Load(dyc + p) * Vector512.Load(xc + p) * pw / scale).Store(slot + p);
        }
        for (; p < pixels; p++)
        {
            float scale = g.K + g.Alpha * PixelSquares(image + p, pixels, first, last);
            float pw = PowerOf(g, scale);
            power[p] = pw;
            slot[p] = dyc[p] * xc[p] * pw / scale;
        }
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
