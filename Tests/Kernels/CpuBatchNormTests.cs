using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NetGen.Cpu;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Kernels;

/// <summary>
/// The CPU backend's batch normalisation, called directly, against references written here: the
/// statistics and the backward pass's closed form in double from the definitions (PyTorch's
/// BatchNorm2d), the gradients also against central differences of <c>L = sum(y * r)</c> through
/// a double forward pass (itself checked against <see cref="CpuBatchNorm.Statistics"/> and
/// <see cref="CpuBatchNorm.Normalise"/>), and the float formulas the ILGPU kernels share bit for bit.
/// The shapes cover planes vectorised with a tail (40), planes shorter than a vector (7), a dense
/// layer's plane of 1 vectorised over 37 channels, and a count of 1.
/// </summary>
public sealed class CpuBatchNormTests : IDisposable
{
    private const float Eps = 1e-5f, Momentum = 0.1f;

    private readonly Context context = Context.Create(b => b.CPU());
    private readonly CPUAccelerator accelerator;
    private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> buffers = [];

    public CpuBatchNormTests() => accelerator = context.CreateCPUAccelerator(0);

    public void Dispose()
    {
        foreach (var buffer in buffers)
            buffer.Dispose();
        accelerator.Dispose();
        context.Dispose();
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Buffer(float[] values)
    {
        var buffer = accelerator.Allocate1D(values);
        buffers.Add(buffer);
        return buffer;
    }

    /// <summary>An NCHW activation whose channels have different means, so subtracting the mean matters.</summary>
    private static float[] Activation(int batch, int channels, int plane, int seed)
    {
        var x = Numbers.Uniform(batch * channels * plane, seed);
        for (int i = 0; i < x.Length; i++)
            x[i] += (i / plane % channels) * 0.75f - 1f;
        return x;
    }

    private static float[] Positive(int count, int seed) => Numbers.Uniform(count, seed).Select(v => 0.5f + Math.Abs(v)).ToArray();

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 3, 5, 7 },  // planes shorter than a vector
        { 2, 3, 40 }, // two vectors and a tail per plane
        { 4, 37, 1 }, // dense: vectorised over channels, with a tail
        { 1, 3, 1 },  // a count of 1: the running variance takes the biased one
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainingStatisticsAreTheBatchsAndUpdateTheRunningEstimates(int batch, int channels, int plane)
    {
        var x = Activation(batch, channels, plane, 11);
        var mean0 = Numbers.Uniform(channels, 12);
        var var0 = Positive(channels, 13);
        var statistics = Buffer(Enumerable.Repeat(float.NaN, 4 * channels).ToArray());
        var runningMean = Buffer(mean0);
        var runningVar = Buffer(var0);
        var tracked = Buffer([7f]);

        CpuBatchNorm.Statistics(Buffer(x).View, runningMean.View, runningVar.View, tracked.View, statistics.View, batch, channels, plane, Eps, Momentum, training: true);

        var (mean, variance) = Moments(x, batch, channels, plane);
        int count = batch * plane;
        var s = statistics.GetAsArray1D();
        Numbers.AssertClose(mean.Select(v => (float)v).ToArray(), s[..channels], "mean", 1e-6, 1e-7);
        Numbers.AssertClose(variance.Select(v => (float)(1 / Math.Sqrt(v + Eps))).ToArray(), s[channels..(2 * channels)], "invstd", 1e-6, 0);
        Assert.All(s[(2 * channels)..], v => Assert.True(float.IsNaN(v), "the backward pass's half is left alone"));
        var expectedMean = new float[channels];
        var expectedVar = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double unbiased = count > 1 ? variance[c] * count / (count - 1) : variance[c];
            expectedMean[c] = (float)((1 - (double)Momentum) * mean0[c] + Momentum * mean[c]);
            expectedVar[c] = (float)((1 - (double)Momentum) * var0[c] + Momentum * unbiased);
        }
        Numbers.AssertClose(expectedMean, runningMean.GetAsArray1D(), "running mean", 1e-6, 1e-7);
        Numbers.AssertClose(expectedVar, runningVar.GetAsArray1D(), "running variance", 1e-6, 1e-7);
        Assert.Equal(8f, tracked.GetAsArray1D()[0]);
    }

    /// <summary>
    /// The order every sum runs in, on both backends (the ILGPU kernels are generated to it): value p
    /// of each plane into partial sum p % 16, image by image, then the sixteen partial sums in turn.
    /// The CPU's vectorised sums must give exactly what this loop gives, on planes with and without a tail.
    /// A double sum of floats of like size is exact in any order, so <paramref name="cancelling"/> puts
    /// 1e20 and -1e20 sixteen values apart in one partial sum: in order they would swallow the values
    /// between them, in partial sums they cancel.
    /// </summary>
    [Theory]
    [InlineData(3, 5, 7, false)]
    [InlineData(2, 3, 40, false)]
    [InlineData(2, 3, 40, true)]
    [InlineData(5, 2, 196, true)]
    [InlineData(4, 37, 1, false)]
    public void EverySumRunsInSixteenPartialSumsBitForBit(int batch, int channels, int plane, bool cancelling)
    {
        var x = Activation(batch, channels, plane, 31);
        var dy = Numbers.Uniform(x.Length, 32);
        if (cancelling)
            for (int c = 0; c < channels; c++)
            {
                (x[c * plane], x[c * plane + 16]) = (1e20f, -1e20f);
                (dy[c * plane + 1], dy[c * plane + 17]) = (1e20f, -1e20f);
            }
        var statistics = Buffer(new float[4 * channels]);
        CpuBatchNorm.Statistics(Buffer(x).View, Buffer(new float[channels]).View, Buffer(new float[channels]).View, Buffer([0f]).View, statistics.View,
            batch, channels, plane, Eps, Momentum, training: true);
        var weightGradient = Buffer(new float[channels]);
        var biasGradient = Buffer(new float[channels]);
        CpuBatchNorm.Backward(Buffer(x).View, Buffer(dy).View, Buffer(Positive(channels, 33)).View, statistics.View, weightGradient.View, biasGradient.View,
            Buffer(new float[x.Length]).View, batch, channels, plane, training: true);

        var s = statistics.GetAsArray1D();
        double count = batch * plane;
        for (int c = 0; c < channels; c++)
        {
            double LaneOrder(Func<int, double> term)
            {
                double total = 0;
                for (int lane = 0; lane < 16; lane++)
                {
                    double part = 0;
                    for (int n = 0; n < batch; n++)
                        for (int p = lane; p < plane; p += 16)
                            part += term((n * channels + c) * plane + p);
                    total += part;
                }
                return total;
            }
            double mean = LaneOrder(i => x[i]) / count;
            double variance = LaneOrder(i => (x[i] - mean) * (x[i] - mean)) / count;
            Assert.Equal((float)mean, s[c]);
            Assert.Equal((float)(1 / Math.Sqrt(variance + Eps)), s[channels + c]);
            float m = s[c], v = s[channels + c];
            Assert.Equal((float)LaneOrder(i => dy[i]), s[2 * channels + c]);
            Assert.Equal((float)LaneOrder(i => dy[i] * ((x[i] - m) * v)), s[3 * channels + c]);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EvaluationStatisticsAreTheRunningOnesAndUpdateNothing(int batch, int channels, int plane)
    {
        var mean0 = Numbers.Uniform(channels, 22);
        var var0 = Positive(channels, 23);
        var statistics = Buffer(Enumerable.Repeat(float.NaN, 4 * channels).ToArray());
        var runningMean = Buffer(mean0);
        var runningVar = Buffer(var0);
        var tracked = Buffer([7f]);

        CpuBatchNorm.Statistics(Buffer(Activation(batch, channels, plane, 21)).View, runningMean.View, runningVar.View, tracked.View, statistics.View, batch, channels, plane, Eps, Momentum, training: false);

        var s = statistics.GetAsArray1D();
        Assert.Equal(mean0, s[..channels]);
        Assert.Equal(var0.Select(v => 1f / MathF.Sqrt(v + Eps)).ToArray(), s[channels..(2 * channels)]);
        Assert.All(s[(2 * channels)..], v => Assert.True(float.IsNaN(v)));
        Assert.Equal(mean0, runningMean.GetAsArray1D());
        Assert.Equal(var0, runningVar.GetAsArray1D());
        Assert.Equal(7f, tracked.GetAsArray1D()[0]);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NormaliseIsTheFloatFormulaBitForBit(int batch, int channels, int plane)
    {
        var x = Activation(batch, channels, plane, 31);
        var w = Numbers.Uniform(channels, 32, 2f);
        var b = Numbers.Uniform(channels, 33);
        var s = Numbers.Uniform(4 * channels, 34);
        for (int c = 0; c < channels; c++)
            s[channels + c] = 0.5f + Math.Abs(s[channels + c]) * 3f;
        var expected = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % channels;
            expected[i] = (x[i] - s[c]) * s[channels + c] * w[c] + b[c];
        }

        var input = Buffer(x);
        var output = Buffer(new float[x.Length]);
        CpuBatchNorm.Normalise(input.View, output.View, Buffer(w).View, Buffer(b).View, Buffer(s).View, batch, channels, plane);
        Assert.Equal(expected, output.GetAsArray1D());
        CpuBatchNorm.Normalise(input.View, input.View, Buffer(w).View, Buffer(b).View, Buffer(s).View, batch, channels, plane);
        Assert.Equal(expected, input.GetAsArray1D());

        // With a residual connection and a ReLU, in the one pass: (y + addend), then max(., 0), as the separate passes do.
        var addend = Numbers.Uniform(x.Length, 35, 2f);
        var fused = Buffer(new float[x.Length]);
        CpuBatchNorm.Normalise(Buffer(x).View, fused.View, Buffer(w).View, Buffer(b).View, Buffer(s).View, batch, channels, plane, Buffer(addend).View, relu: true);
        var rectified = expected.Select((v, i) => v + addend[i] is var sum && sum > 0f ? sum : 0f).ToArray();
        Assert.Equal(rectified, fused.GetAsArray1D());
        if (x.Length >= 16) // both sides of the ReLU taken
            Assert.True(rectified.Contains(0f) && rectified.Any(v => v > 0f));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainingBackwardIsTheClosedForm(int batch, int channels, int plane)
    {
        var x = Activation(batch, channels, plane, 41);
        var dy = Numbers.Uniform(x.Length, 42);
        var w = Numbers.Uniform(channels, 43, 2f);
        var (dwBefore, dbBefore) = (Numbers.Uniform(channels, 44), Numbers.Uniform(channels, 45));
        var run = Backward(x, dy, w, dwBefore, dbBefore, batch, channels, plane, training: true);

        // Written out from the definition: xhat = (x - mean) / sqrt(var + eps), y = w xhat + b.
        var (mean, variance) = Moments(x, batch, channels, plane);
        int count = batch * plane;
        var sumDelta = new double[channels];
        var sumDeltaXhat = new double[channels];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % channels;
            sumDelta[c] += dy[i];
            sumDeltaXhat[c] += dy[i] * (x[i] - mean[c]) / Math.Sqrt(variance[c] + Eps);
        }
        var dx = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % channels;
            double invstd = 1 / Math.Sqrt(variance[c] + Eps), xhat = (x[i] - mean[c]) * invstd;
            dx[i] = (float)(w[c] * invstd / count * (count * dy[i] - sumDelta[c] - xhat * sumDeltaXhat[c]));
        }
        Numbers.AssertClose(dx, run.InputGradient, "input gradient", 1e-4, 1e-5);
        Numbers.AssertClose(sumDelta.Select((v, c) => (float)(dbBefore[c] + v)).ToArray(), run.BiasGradient, "bias gradient", 1e-5, 1e-5);
        Numbers.AssertClose(sumDeltaXhat.Select((v, c) => (float)(dwBefore[c] + v)).ToArray(), run.WeightGradient, "weight gradient", 1e-5, 1e-5);
        Numbers.AssertClose(sumDelta.Select(v => (float)v).ToArray(), run.Statistics[(2 * channels)..(3 * channels)], "sum of delta", 1e-5, 1e-5);
        Numbers.AssertClose(sumDeltaXhat.Select(v => (float)v).ToArray(), run.Statistics[(3 * channels)..], "sum of delta xhat", 1e-5, 1e-5);
        Assert.Equal(run.Statistics, run.StatisticsWithoutInputGradient);

        // The ILGPU kernels' float formula, from the statistics as kept: the two backends must agree bit for bit.
        var kernel = new float[x.Length];
        var s = run.Statistics;
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % channels;
            float xhat = (x[i] - s[c]) * s[channels + c], scale = w[c] * s[channels + c] / count;
            kernel[i] = scale * ((float)count * dy[i] - s[2 * channels + c] - xhat * s[3 * channels + c]);
        }
        Assert.Equal(kernel, run.InputGradient);
        Assert.Equal(run.BiasGradient.Select((v, c) => v + run.Statistics[2 * channels + c]).ToArray(), run.BiasGradientTwice);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainingBackwardMatchesFiniteDifferences(int batch, int channels, int plane)
    {
        var x = Activation(batch, channels, plane, 51);
        var r = Numbers.Uniform(x.Length, 52);
        var w = Numbers.Uniform(channels, 53, 2f);
        var b = Numbers.Uniform(channels, 54);

        // The float forward pass is the double one, to float precision, so the differences below are of the function the backward pass differentiates.
        var statistics = Buffer(new float[4 * channels]);
        var output = Buffer(new float[x.Length]);
        CpuBatchNorm.Statistics(Buffer(x).View, Buffer(new float[channels]).View, Buffer(new float[channels]).View, Buffer([0f]).View, statistics.View, batch, channels, plane, Eps, Momentum, training: true);
        CpuBatchNorm.Normalise(Buffer(x).View, output.View, Buffer(w).View, Buffer(b).View, statistics.View, batch, channels, plane);
        double[] X = [.. x.Select(v => (double)v)], W = [.. w.Select(v => (double)v)], B = [.. b.Select(v => (double)v)];
        Numbers.AssertClose(Forward(X, W, B, batch, channels, plane).Select(v => (float)v).ToArray(), output.GetAsArray1D(), "forward", 1e-5, 1e-5);

        var run = Backward(x, r, w, new float[channels], new float[channels], batch, channels, plane, training: true);
        double Loss() => Forward(X, W, B, batch, channels, plane).Select((y, i) => y * r[i]).Sum();
        Numbers.AssertClose(Differences(X, Loss), run.InputGradient, "input gradient", 1e-3, 1e-4);
        Numbers.AssertClose(Differences(W, Loss), run.WeightGradient, "weight gradient", 1e-3, 1e-4);
        Numbers.AssertClose(Differences(B, Loss), run.BiasGradient, "bias gradient", 1e-3, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EvaluationBackwardScalesTheGradient(int batch, int channels, int plane)
    {
        var x = Activation(batch, channels, plane, 61);
        var dy = Numbers.Uniform(x.Length, 62);
        var w = Numbers.Uniform(channels, 63, 2f);
        var (dwBefore, dbBefore) = (Numbers.Uniform(channels, 64), Numbers.Uniform(channels, 65));
        var mean0 = Numbers.Uniform(channels, 66);
        var var0 = Positive(channels, 67);
        var run = Backward(x, dy, w, dwBefore, dbBefore, batch, channels, plane, training: false, mean0, var0);

        var invstd = var0.Select(v => 1f / MathF.Sqrt(v + Eps)).ToArray();
        var dx = new float[x.Length];
        var sumDelta = new double[channels];
        var sumDeltaXhat = new double[channels];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % channels;
            dx[i] = dy[i] * w[c] * invstd[c];
            sumDelta[c] += dy[i];
            sumDeltaXhat[c] += dy[i] * (x[i] - (double)mean0[c]) / Math.Sqrt(var0[c] + (double)Eps);
        }
        Assert.Equal(dx, run.InputGradient);
        Numbers.AssertClose(sumDelta.Select((v, c) => (float)(dbBefore[c] + v)).ToArray(), run.BiasGradient, "bias gradient", 1e-5, 1e-5);
        Numbers.AssertClose(sumDeltaXhat.Select((v, c) => (float)(dwBefore[c] + v)).ToArray(), run.WeightGradient, "weight gradient", 1e-5, 1e-5);
    }

    private sealed record BackwardRun(float[] InputGradient, float[] WeightGradient, float[] BiasGradient, float[] Statistics,
        float[] StatisticsWithoutInputGradient, float[] BiasGradientTwice);

    /// <summary>
    /// <see cref="CpuBatchNorm.Statistics"/> and <see cref="CpuBatchNorm.Backward"/> (in evaluation
    /// with the running estimates given), then Backward again with no input gradient, which must
    /// still write the sums and accumulate the bias's gradient a second time.
    /// </summary>
    private BackwardRun Backward(float[] x, float[] dy, float[] w, float[] dwBefore, float[] dbBefore, int batch, int channels, int plane, bool training,
        float[]? runningMean = null, float[]? runningVar = null)
    {
        var input = Buffer(x);
        var delta = Buffer(dy);
        var weight = Buffer(w);
        var statistics = Buffer(new float[4 * channels]);
        var dw = Buffer(dwBefore);
        var db = Buffer(dbBefore);
        var dx = Buffer(Enumerable.Repeat(float.NaN, x.Length).ToArray());
        CpuBatchNorm.Statistics(input.View, Buffer(runningMean ?? new float[channels]).View, Buffer(runningVar ?? new float[channels]).View, Buffer([0f]).View,
            statistics.View, batch, channels, plane, Eps, Momentum, training);
        CpuBatchNorm.Backward(input.View, delta.View, weight.View, statistics.View, dw.View, db.View, dx.View, batch, channels, plane, training);
        var (first, weightGradient, biasGradient) = (statistics.GetAsArray1D(), dw.GetAsArray1D(), db.GetAsArray1D());
        statistics.CopyFromCPU(first.Select((v, i) => i < 2 * channels ? v : float.NaN).ToArray());
        CpuBatchNorm.Backward(input.View, delta.View, weight.View, statistics.View, dw.View, db.View, default, batch, channels, plane, training);
        return new BackwardRun(dx.GetAsArray1D(), weightGradient, biasGradient, first, statistics.GetAsArray1D(), db.GetAsArray1D());
    }

    /// <summary>Each channel's mean and biased variance, in double, by definition.</summary>
    private static (double[] Mean, double[] Variance) Moments(float[] x, int batch, int channels, int plane)
    {
        var mean = new double[channels];
        var variance = new double[channels];
        for (int i = 0; i < x.Length; i++)
            mean[i / plane % channels] += x[i] / (double)(batch * plane);
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % channels;
            variance[c] += (x[i] - mean[c]) * (x[i] - mean[c]) / (batch * plane);
        }
        return (mean, variance);
    }

    /// <summary>Training's forward pass in double.</summary>
    private static double[] Forward(double[] x, double[] w, double[] b, int batch, int channels, int plane)
    {
        var mean = new double[channels];
        var variance = new double[channels];
        for (int i = 0; i < x.Length; i++)
            mean[i / plane % channels] += x[i] / (batch * plane);
        for (int i = 0; i < x.Length; i++)
            variance[i / plane % channels] += (x[i] - mean[i / plane % channels]) * (x[i] - mean[i / plane % channels]) / (batch * plane);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % channels;
            y[i] = (x[i] - mean[c]) / Math.Sqrt(variance[c] + Eps) * w[c] + b[c];
        }
        return y;
    }

    /// <summary>The loss's central differences in each of <paramref name="values"/>, which it reads.</summary>
    private static float[] Differences(double[] values, Func<double> loss)
    {
        const double h = 1e-5;
        var gradient = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            values[i] = v + h;
            double up = loss();
            values[i] = v - h;
            double down = loss();
            values[i] = v;
            gradient[i] = (float)((up - down) / (2 * h));
        }
        return gradient;
    }
}

/// <summary>The CPU backend's elementwise sums against plain loops, bit for bit, on counts with a tail shorter than a vector and counts that cross the parallel blocks.</summary>
public class CpuGradientsTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(48)]
    [InlineData(1_005)]
    [InlineData(3 * 16_384 + 3)]
    public void AddAndSumAreTheLoops(int count)
    {
        var a = Numbers.Uniform(count, 71);
        var b = Numbers.Uniform(count, 72, 1e3f);
        var c = Numbers.Uniform(count, 73, 1e-3f);
        using var context = Context.Create(builder => builder.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        using var va = accelerator.Allocate1D(a);
        using var vb = accelerator.Allocate1D(b);
        using var vc = accelerator.Allocate1D(c);
        using var target = accelerator.Allocate1D(Enumerable.Repeat(float.NaN, count + 5).ToArray());

        CpuGradients.Sum(target.View, count, va.View, vb.View, vc.View);
        var sum = target.GetAsArray1D();
        Assert.Equal(a.Select((v, i) => v + b[i] + c[i]).ToArray(), sum[..count]);
        Assert.All(sum[count..], v => Assert.True(float.IsNaN(v), "nothing past the count is written"));
        CpuGradients.Sum(target.View, count, va.View);
        Assert.Equal(a, target.GetAsArray1D()[..count]);
        CpuGradients.Sum(target.View, count);
        Assert.Equal(new float[count], target.GetAsArray1D()[..count]);

        CpuGradients.Sum(va.View, count, va.View, vb.View);
        Assert.Equal(a.Select((v, i) => v + b[i]).ToArray(), va.GetAsArray1D());
        va.CopyFromCPU(a);

        CpuGradients.Add(vc.View, vb.View, count - 1);
        var added = c.Select((v, i) => i < count - 1 ? v + b[i] : v).ToArray();
        Assert.Equal(added, vc.GetAsArray1D());
    }
}
