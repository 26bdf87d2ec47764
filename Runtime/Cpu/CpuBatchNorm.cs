using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// Batch normalisation on the CPU backend. B = batch, C = channels, P = plane (H x W values per
/// channel, 1 after a dense layer); tensors are NCHW, and each channel's statistics are taken over
/// its count = B x P values.
/// </summary>
/// <remarks>
/// The ILGPU kernels do the same arithmetic in the same order (the elementwise formulas in float,
/// left to right; the sums in double, in <see cref="Lanes"/> partial sums), so both backends give
/// the same bits. The vectorised loops keep each lane's operations and their order, and .NET
/// never fuses a multiply and an add, so they match the scalar formulas exactly.
/// <para>
/// <c>statistics</c> (4C) holds <c>[mean C | invstd C | sumDelta C | sumDeltaXhat C]</c>: the forward
/// pass writes the first half, the backward pass the second.
/// </para>
/// </remarks>
public static unsafe class CpuBatchNorm
{
    /// <summary>
    /// The statistics <see cref="Normalise"/> uses, into <c>statistics[0..2C)</c>: in training the batch's
    /// mean and 1 / sqrt(biased variance + eps), with the running estimates updated by PyTorch's rule
    /// (unbiased variance, biased for a count of 1 rather than a division by 0) and
    /// <c>batchesTracked[0]</c> (PyTorch's num_batches_tracked, as a float) counted up once; in
    /// evaluation the running estimates, with nothing updated.
    /// </summary>
    /// <remarks>The mean and variance are summed in double in two passes: one pass of sums of squares in float loses the variance of values far from zero.</remarks>
    /// <param name="input">(B, C, P) activation.</param>
    /// <param name="runningMean">(C) running mean.</param>
    /// <param name="runningVar">(C) running variance.</param>
    /// <param name="batchesTracked">(1) batches seen in training.</param>
    /// <param name="statistics">(4C) statistics; the first 2C are written.</param>
    /// <param name="batch">B, the images.</param>
    /// <param name="channels">C, the channels.</param>
    /// <param name="plane">P, the values per channel of an image (1 after a dense layer).</param>
    /// <param name="eps">Added to the variance before its square root.</param>
    /// <param name="momentum">The weight of this batch in the running estimates.</param>
    /// <param name="training">The batch's statistics, or the running estimates.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Statistics(ArrayView<float> input, ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> batchesTracked,
        ArrayView<float> statistics, int batch, int channels, int plane, float eps, float momentum, bool training)
    {
        float* rm = Host.Pointer(runningMean), rv = Host.Pointer(runningVar), s = Host.Pointer(statistics);
        if (!training)
        {
            for (int c = 0; c < channels; c++)
            {
                s[c] = rm[c];
                s[channels + c] = 1f / MathF.Sqrt(rv[c] + eps);
            }
            return;
        }
        float* x = Host.Pointer(input);
        int count = batch * plane;
        Host.For(channels, 2L * count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c) =>
        {
            double mean = LaneSum(Term.Value, x + (long)c * plane, batch, (long)channels * plane, plane, out _) / count;
            double squares = LaneSum(Term.SquaredDeviation, x + (long)c * plane, batch, (long)channels * plane, plane, out _, mean);
            double variance = squares / count;
            s[c] = (float)mean;
            s[channels + c] = (float)(1.0 / Math.Sqrt(variance + eps));
            double unbiased = count > 1 ? variance * count / (count - 1) : variance;
            rm[c] = (1f - momentum) * rm[c] + momentum * (float)mean;
            rv[c] = (1f - momentum) * rv[c] + momentum * (float)unbiased;
        });
        Host.Pointer(batchesTracked)[0] += 1f;
    }

    /// <summary>
    /// <c>y = (x - mean) * invstd * weight + bias</c>, in float and in that order, with the mean and
    /// invstd from <see cref="Statistics"/>; then, when given, <c>y = y + addend</c> (a residual
    /// connection) and <c>y = max(y, 0)</c> (a ReLU), as the separate passes would, in one pass.
    /// </summary>
    /// <remarks>
    /// Planes of more than one value are vectorised along the plane; a dense layer's (P = 1) along
    /// the channels, where a task per value would cost more than the value.
    /// </remarks>
    /// <param name="input">(B, C, P) activation.</param>
    /// <param name="output">(B, C, P) result; may be <paramref name="input"/>.</param>
    /// <param name="weight">(C) scale.</param>
    /// <param name="bias">(C) shift.</param>
    /// <param name="statistics">(4C) statistics; the first 2C are read.</param>
    /// <param name="batch">B, the images.</param>
    /// <param name="channels">C, the channels.</param>
    /// <param name="plane">P, the values per channel of an image (1 after a dense layer).</param>
    /// <param name="addend">(B, C, P) added to the result, or empty.</param>
    /// <param name="relu">Whether a ReLU follows.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalise(ArrayView<float> input, ArrayView<float> output, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> statistics,
        int batch, int channels, int plane, ArrayView<float> addend = default, bool relu = false)
    {
        float* x = Host.Pointer(input), y = Host.Pointer(output), w = Host.Pointer(weight), b = Host.Pointer(bias), s = Host.Pointer(statistics);
        float* a = addend.Length == 0 ? null : Host.Pointer(addend);
        float* mean = s, invstd = s + channels;
        if (plane == 1)
        {
            Host.For(batch, channels, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n) =>
            {
                long offset = (long)n * channels;
                float* xn = x + offset, yn = y + offset, an = a + offset;
                int c = 0;
                for (; c <= channels - 16; c += 16)
                    Finish((Vector512.Load(xn + c) - Vector512.Load(mean + c)) * Vector512.Load(invstd + c) * Vector512.Load(w + c) + Vector512.Load(b + c),
                        a is null ? null : an + c, relu).Store(yn + c);
                for (; c < channels; c++)
                    yn[c] = Finish((xn[c] - mean[c]) * invstd[c] * w[c] + b[c], a is null ? null : an + c, relu);
            });
            return;
        }
        Host.For(batch * channels, plane, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task) =>
        {
            int c = task % channels;
            float m = mean[c], v = invstd[c], wc = w[c], bc = b[c];
            long offset = (long)task * plane;
            float* xc = x + offset, yc = y + offset, ac = a + offset;
            int p = 0;
            for (; p <= plane - 16; p += 16)
                Finish((Vector512.Load(xc + p) - Vector512.Create(m)) * v * wc + Vector512.Create(bc), a is null ? null : ac + p, relu).Store(yc + p);
            for (; p < plane; p++)
                yc[p] = Finish((xc[p] - m) * v * wc + bc, a is null ? null : ac + p, relu);
        });
    }

    /// <summary>The residual add and the ReLU after the normalisation, as <c>CpuGradients.Add</c> and <c>CpuEpilogue.Relu</c> do them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Finish(Vector512<float> value, float* addend, bool relu)
    {
        if (addend is not null)
            value += Vector512.Load(addend);
        return relu ? Vector512.Max(value, Vector512<float>.Zero) : value;
    }

    /// <summary>The same for one value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(float value, float* addend, bool relu)
    {
        if (addend is not null)
            value += *addend;
        return relu ? (value > 0f ? value : 0f) : value;
    }

    /// <summary>
    /// Every gradient of a batch normalisation from the output's gradient <paramref name="delta"/>:
    /// adds <c>sum delta * xhat</c> into <paramref name="weightGradient"/> and <c>sum delta</c> into
    /// <paramref name="biasGradient"/>, keeps both sums in <c>statistics[2C..4C)</c>, and writes the
    /// input's gradient unless <paramref name="inputGradient"/> is empty (the first layer needs none).
    /// </summary>
    /// <remarks>
    /// In training the mean and invstd depend on every value of the channel, so
    /// <c>dx = weight * invstd / count * (count * dy - sum dy - xhat * sum dy xhat)</c>; in evaluation
    /// they are constants and <c>dx = dy * weight * invstd</c>. <c>xhat = (x - mean) * invstd</c> is
    /// recomputed from the input rather than kept, which would cost an activation's memory.
    /// </remarks>
    /// <param name="input">(B, C, P) the forward pass's input.</param>
    /// <param name="delta">(B, C, P) the output's gradient.</param>
    /// <param name="weight">(C) scale.</param>
    /// <param name="statistics">(4C) statistics: the first 2C from <see cref="Statistics"/>, the last 2C written.</param>
    /// <param name="weightGradient">(C) accumulated.</param>
    /// <param name="biasGradient">(C) accumulated.</param>
    /// <param name="inputGradient">(B, C, P) written; skipped when empty.</param>
    /// <param name="batch">B, the images.</param>
    /// <param name="channels">C, the channels.</param>
    /// <param name="plane">P, the values per channel of an image (1 after a dense layer).</param>
    /// <param name="training">Whether the forward pass used the batch's statistics.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ArrayView<float> input, ArrayView<float> delta, ArrayView<float> weight, ArrayView<float> statistics,
        ArrayView<float> weightGradient, ArrayView<float> biasGradient, ArrayView<float> inputGradient, int batch, int channels, int plane, bool training)
    {
        float* x = Host.Pointer(input), dy = Host.Pointer(delta), w = Host.Pointer(weight), s = Host.Pointer(statistics);
        float* dw = Host.Pointer(weightGradient), db = Host.Pointer(biasGradient);
        float* mean = s, invstd = s + channels, sumDelta = s + 2 * channels, sumDeltaXhat = s + 3 * channels;
        int count = batch * plane;
        Host.For(channels, 2L * count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c) =>
        {
            long offset = (long)c * plane, stride = (long)channels * plane;
            double sd = LaneSum(Term.ValueAndTimesXhat, dy + offset, batch, stride, plane, out double sdx, 0, x + offset, mean[c], invstd[c]);
            db[c] += (float)sd;
            dw[c] += (float)sdx;
            sumDelta[c] = (float)sd;
            sumDeltaXhat[c] = (float)sdx;
        });
        if (inputGradient.Length == 0)
            return;
        float* dx = Host.Pointer(inputGradient);
        float size = count; // the count as a float, as the kernel divides and multiplies by it
        if (plane == 1)
        {
            Host.For(batch, channels, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (image) =>
            {
                long offset = (long)image * channels;
                float* xn = x + offset, dyn = dy + offset, dxn = dx + offset;
                int c = 0;
                if (training)
                {
                    for (; c <= channels - 16; c += 16)
                    {
                        var v = Vector512.Load(invstd + c);
                        var scale = Vector512.Load(w + c) * v / size;
                        var xhat = (Vector512.Load(xn + c) - Vector512.Load(mean + c)) * v;
                        (scale * (size * Vector512.Load(dyn + c) - Vector512.Load(sumDelta + c) - xhat * Vector512.Load(sumDeltaXhat + c))).Store(dxn + c);
                    }
                    for (; c < channels; c++)
                    {
                        float scale = w[c] * invstd[c] / size, xhat = (xn[c] - mean[c]) * invstd[c];
                        dxn[c] = scale * (size * dyn[c] - sumDelta[c] - xhat * sumDeltaXhat[c]);
                    }
                }
                else
                {
                    for (; c <= channels - 16; c += 16)
                        (Vector512.Load(dyn + c) * Vector512.Load(w + c) * Vector512.Load(invstd + c)).Store(dxn + c);
                    for (; c < channels; c++)
                        dxn[c] = dyn[c] * w[c] * invstd[c];
                }
            });
            return;
        }
        Host.For(batch * channels, plane, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task) =>
        {
            int c = task % channels;
            float m = mean[c], v = invstd[c], wc = w[c], sd = sumDelta[c], sdx = sumDeltaXhat[c];
            float* xc = x + (long)task * plane, dyc = dy + (long)task * plane, dxc = dx + (long)task * plane;
            int p = 0;
            if (training)
            {
                float scale = wc * v / size;
                for (; p <= plane - 16; p += 16)
                {
                    var xhat = (Vector512.Load(xc + p) - Vector512.Create(m)) * v;
                    (scale * (size * Vector512.Load(dyc + p) - Vector512.Create(sd) - xhat * sdx)).Store(dxc + p);
                }
                for (; p < plane; p++)
                {
                    float xhat = (xc[p] - m) * v;
                    dxc[p] = scale * (size * dyc[p] - sd - xhat * sdx);
                }
            }
            else
            {
                for (; p <= plane - 16; p += 16)
                    (Vector512.Load(dyc + p) * wc * v).Store(dxc + p);
                for (; p < plane; p++)
                    dxc[p] = dyc[p] * wc * v;
            }
        });
    }

    /// <summary>
    /// How many partial sums a channel's sum is split into: value p of each image's plane goes to
    /// partial sum p % 16, each partial sum takes its values image by image in order, and the partial
    /// sums are added last, 0 to 15 (those a plane of fewer than 16 values leaves empty add +0, which
    /// changes nothing). Sixteen independent sums run as two vectors of doubles, where one sum in
    /// order waited on each add in turn; the ILGPU kernels sum in the same order.
    /// </summary>
    public const int Lanes = 16;

    /// <summary>What <see cref="LaneSum"/> adds up for each value <c>a</c>.</summary>
    private enum Term
    {
        /// <summary><c>a</c>.</summary>
        Value,
        /// <summary><c>(a - centre)^2</c>, in double.</summary>
        SquaredDeviation,
        /// <summary><c>a</c>, and beside it <c>a * ((x - mean) * invstd)</c> in float: the gradient, and the gradient times x-hat.</summary>
        ValueAndTimesXhat,
    }

    /// <summary>
    /// One channel's sum of <paramref name="term"/> over the batch in <see cref="Lanes"/> partial sums,
    /// in double; for <see cref="Term.ValueAndTimesXhat"/> the second sum, taken in the same pass, in <paramref name="second"/>.
    /// </summary>
    /// <param name="term">What is summed.</param>
    /// <param name="a">The channel's first plane; the next image's is <paramref name="stride"/> floats on (and so for <paramref name="x"/>).</param>
    /// <param name="batch">B, the images.</param>
    /// <param name="stride">Floats from one image's plane to the next's: C x P.</param>
    /// <param name="plane">P, the values per channel of an image.</param>
    /// <param name="second">The sum of <c>a * xhat</c>, for <see cref="Term.ValueAndTimesXhat"/>; else 0.</param>
    /// <param name="centre">The mean, for <see cref="Term.SquaredDeviation"/>.</param>
    /// <param name="x">The forward pass's input, for <see cref="Term.ValueAndTimesXhat"/>.</param>
    /// <param name="mean">The channel's mean, for <see cref="Term.ValueAndTimesXhat"/>.</param>
    /// <param name="invstd">The channel's 1 / sqrt(variance + eps), for <see cref="Term.ValueAndTimesXhat"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double LaneSum(Term term, float* a, int batch, long stride, int plane, out double second,
        double centre = 0, float* x = null, float mean = 0f, float invstd = 0f)
    {
        bool squares = term == Term.SquaredDeviation, times = term == Term.ValueAndTimesXhat;
        double* lanes = stackalloc double[2 * Lanes];
        if (!Avx512F.IsSupported)
        {
            new Span<double>(lanes, 2 * Lanes).Clear();
            for (int n = 0; n < batch; n++)
                for (int p = 0; p < plane; p++)
                {
                    float value = a[n * stride + p];
                    lanes[p % Lanes] += squares ? (value - centre) * (value - centre) : value;
                    if (times)
                        lanes[Lanes + p % Lanes] += value * ((x[n * stride + p] - mean) * invstd);
                }
        }
        else
        {
            Vector512<double> low = Vector512<double>.Zero, high = low, low2 = low, high2 = low, c = Vector512.Create(centre);
            for (int n = 0; n < batch; n++)
            {
                float* an = a + n * stride, xn = x + n * stride;
                for (int p = 0; p < plane; p += Lanes)
                {
                    var mask = Host.FirstLanes(plane - p);
                    var value = Avx512F.MaskLoad(an + p, mask, Vector512<float>.Zero);
                    var (lo, hi) = Vector512.Widen(value);
                    if (squares)
                    {
                        // Lanes past the plane's end are +0 in the sum, not (0 - centre)^2.
                        var (wideLow, wideHigh) = Vector512.Widen(mask.AsInt32());
                        lo = Vector512.ConditionalSelect(wideLow.AsDouble(), (lo - c) * (lo - c), Vector512<double>.Zero);
                        hi = Vector512.ConditionalSelect(wideHigh.AsDouble(), (hi - c) * (hi - c), Vector512<double>.Zero);
                    }
                    low += lo;
                    high += hi;
                    if (times)
                    {
                        var (lo2, hi2) = Vector512.Widen(value * ((Avx512F.MaskLoad(xn + p, mask, Vector512<float>.Zero) - Vector512.Create(mean)) * invstd));
                        low2 += lo2;
                        high2 += hi2;
                    }
                }
            }
            low.Store(lanes);
            high.Store(lanes + 8);
            low2.Store(lanes + Lanes);
            high2.Store(lanes + Lanes + 8);
        }
        second = 0;
        for (int lane = Lanes; lane < 2 * Lanes; lane++)
            second += lanes[lane];
        double sum = 0;
        for (int lane = 0; lane < Lanes; lane++)
            sum += lanes[lane];
        return sum;
    }
}
