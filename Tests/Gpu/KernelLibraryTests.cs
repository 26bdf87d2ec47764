using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NetGen.Cpu;
using NetGen.Gpu;
using Xunit;

namespace NetGen.Tests.Gpu;

/// <summary>
/// The GPU kernel library against float64 loops written here, on ILGPU's CPU accelerator set up
/// as an NVIDIA GPU (warps of 32, groups up to 1,024 threads), so groups, shared memory and
/// barriers behave as they would there. Sizes are not multiples of the tiles, every output starts
/// as NaN so an element the kernels leave unwritten fails, and split sums must give the same
/// bits on every run.
/// </summary>
public sealed class KernelLibraryTests : IDisposable
{
    private readonly Context context = Context.Create(b => b.CPU(CPUDevice.Nvidia).EnableAlgorithms());
    private readonly Accelerator accelerator;
    private readonly KernelLibrary library;

    public KernelLibraryTests()
    {
        accelerator = context.CreateCPUAccelerator(0);
        library = new KernelLibrary(accelerator);
    }

    public void Dispose()
    {
        library.Dispose();
        accelerator.Dispose();
        context.Dispose();
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(130, 67, 19)]
    [InlineData(7, 300, 129)]
    [InlineData(129, 129, 8)]
    public void ProductEqualsTheTripleLoop(int m, int n, int k)
    {
        var a = Random(m * k, 1);
        var b = Random(k * n, 2);
        using var da = Upload(a);
        using var db = Upload(b);
        using var dc = Poisoned(m * n);
        library.Product(accelerator.DefaultStream, new DenseOperand(da.View, k, 1), new DenseOperand(db.View, n, 1),
            new MatrixStore<Identity>(dc.View, n, 1, 0, default, default, accumulate: false), m, n, k);
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    expected[i * n + j] += (double)a[i * k + p] * b[p * n + j];
        AssertClose(expected, dc.GetAsArray1D(), k, $"{m} x {n} x {k}");
    }

    /// <summary>Awkward convolutions (odd sizes, stride, padding, groups) and AlexNet's conv3 at batch 2.</summary>
    public static TheoryData<string, ConvGeometry, int> Convolutions => new()
    {
        { "3x3 same", Conv(5, 9, 7, 6, 3, 1, 1, 1), 3 },
        { "5x5 stride 2 groups 2", Conv(4, 11, 10, 6, 5, 2, 1, 2), 2 },
        { "1x1 stride 2", Conv(6, 7, 7, 130, 1, 2, 0, 1), 2 },
        { "alexnet conv3", Conv(256, 13, 13, 384, 3, 1, 1, 1), 2 },
    };

    /// <summary>
    /// The same with AlexNet's conv2 (two groups of 128 filters on 27 x 27) and conv1 (11 x 11,
    /// stride 4), forward only: their gradients take a minute on the simulator, and conv3's cover
    /// the same code.
    /// </summary>
    public static TheoryData<string, ConvGeometry, int> ForwardConvolutions
    {
        get
        {
            var data = Convolutions;
            data.Add("alexnet conv2", Conv(96, 27, 27, 256, 5, 1, 2, 2), 2);
            data.Add("alexnet conv1", Conv(3, 227, 227, 96, 11, 4, 0, 1), 1);
            return data;
        }
    }

    private static ConvGeometry Conv(int channels, int height, int width, int filters, int kernel, int stride, int pad, int groups) =>
        new(channels, height, width, filters, kernel, stride, pad, groups,
            (height + 2 * pad - kernel) / stride + 1, (width + 2 * pad - kernel) / stride + 1);

    [Theory]
    [MemberData(nameof(ForwardConvolutions))]
    public void ConvolutionForwardEqualsTheDirectSum(string name, ConvGeometry g, int batch)
    {
        var x = Random(batch * g.Channels * g.Pixels, 3);
        var w = Random(g.Filters * g.Taps, 4);
        var bias = Random(g.Filters, 5);
        using var dx = Upload(x);
        using var dw = Upload(w);
        using var db = Upload(bias);
        using var dy = Poisoned(batch * g.Filters * g.OutPixels);
        library.ConvolutionForward<Rectifier>(accelerator.DefaultStream, g, dx.View, dw.View, db.View, dy.View, batch);
        var expected = new double[batch * g.Filters * g.OutPixels];
        for (int n = 0; n < batch; n++)
            for (int f = 0; f < g.Filters; f++)
                for (int p = 0; p < g.OutPixels; p++)
                {
                    double sum = bias[f];
                    ForEachTap(g, n, f, p, (inputIndex, weightIndex) => sum += (double)x[inputIndex] * w[weightIndex]);
                    expected[(n * g.Filters + f) * g.OutPixels + p] = Math.Max(sum, 0);
                }
        AssertClose(expected, dy.GetAsArray1D(), g.Taps, name);
    }

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void ConvolutionGradientsEqualTheDirectSums(string name, ConvGeometry g, int batch)
    {
        var x = Random(batch * g.Channels * g.Pixels, 6);
        var w = Random(g.Filters * g.Taps, 7);
        var delta = Random(batch * g.Filters * g.OutPixels, 8);
        var previousWeights = Random(g.Filters * g.Taps, 9);
        var previousBias = Random(g.Filters, 10);
        using var dx = Upload(x);
        using var dw = Upload(w);
        using var dDelta = Upload(delta);
        using var inputGradient = Poisoned(x.Length);
        using var weightGradient = Upload(previousWeights);
        using var biasGradient = Upload(previousBias);
        // The input as its own gate, as when a ReLU wrote it: about half the input gradient is masked.
        library.ConvolutionInputGradient(accelerator.DefaultStream, g, dw.View, dDelta.View, inputGradient.View, batch, gate: dx.View);
        library.ConvolutionWeightGradient(accelerator.DefaultStream, g, dx.View, dDelta.View, weightGradient.View, biasGradient.View, batch);

        var expectedInput = new double[x.Length];
        var expectedWeights = previousWeights.Select(v => (double)v).ToArray();
        var expectedBias = previousBias.Select(v => (double)v).ToArray();
        for (int n = 0; n < batch; n++)
            for (int f = 0; f < g.Filters; f++)
                for (int p = 0; p < g.OutPixels; p++)
                {
                    double d = delta[(n * g.Filters + f) * g.OutPixels + p];
                    expectedBias[f] += d;
                    ForEachTap(g, n, f, p, (inputIndex, weightIndex) =>
                    {
                        expectedInput[inputIndex] += d * w[weightIndex];
                        expectedWeights[weightIndex] += d * x[inputIndex];
                    });
                }
        for (int i = 0; i < x.Length; i++)
            if (x[i] <= 0f)
                expectedInput[i] = 0;
        AssertClose(expectedInput, inputGradient.GetAsArray1D(), g.GroupFilters * g.Kernel * g.Kernel, name + ", input");
        AssertClose(expectedWeights, weightGradient.GetAsArray1D(), batch * g.OutPixels, name + ", weights");
        AssertClose(expectedBias, biasGradient.GetAsArray1D(), batch * g.OutPixels, name + ", bias");
    }

    /// <summary>Calls <paramref name="tap"/> with the input and weight indices of every tap of output (n, f, p) that reads inside the input.</summary>
    private static void ForEachTap(ConvGeometry g, int n, int f, int p, Action<int, int> tap)
    {
        int oy = p / g.OutWidth, ox = p % g.OutWidth, group = f / g.GroupFilters;
        for (int c = 0; c < g.GroupChannels; c++)
            for (int ky = 0; ky < g.Kernel; ky++)
                for (int kx = 0; kx < g.Kernel; kx++)
                {
                    int iy = oy * g.Stride + ky - g.Pad, ix = ox * g.Stride + kx - g.Pad;
                    if (iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width)
                        tap(((n * g.Channels + group * g.GroupChannels + c) * g.Height + iy) * g.Width + ix,
                            ((f * g.GroupChannels + c) * g.Kernel + ky) * g.Kernel + kx);
                }
    }

    [Fact]
    public void SplitWeightGradientGivesTheSameBitsEveryRun()
    {
        var g = Conv(8, 13, 13, 16, 3, 1, 1, 1);
        int batch = 16;
        Assert.True(KernelLibrary.Slices(g.Filters, g.Taps, batch * g.OutPixels) > 1, "the test needs a product whose sum is split");
        using var x = Upload(Random(batch * g.Channels * g.Pixels, 11));
        using var delta = Upload(Random(batch * g.Filters * g.OutPixels, 12));
        float[] Run()
        {
            using var weights = Upload(new float[g.Filters * g.Taps]);
            using var bias = Upload(new float[g.Filters]);
            library.ConvolutionWeightGradient(accelerator.DefaultStream, g, x.View, delta.View, weights.View, bias.View, batch);
            return [.. weights.GetAsArray1D(), .. bias.GetAsArray1D()];
        }
        var first = Run();
        for (int run = 0; run < 3; run++)
            Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), Run().Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData(3, 70, 9)]
    [InlineData(2, 4096, 130)]
    public void DenseLayerEqualsTheLoops(int batch, int inputs, int outputs)
    {
        var x = Random(batch * inputs, 13);
        var w = Random(outputs * inputs, 14);
        var bias = Random(outputs, 15);
        var delta = Random(batch * outputs, 16);
        using var dx = Upload(x);
        using var dw = Upload(w);
        using var db = Upload(bias);
        using var dDelta = Upload(delta);
        using var y = Poisoned(batch * outputs);
        using var inputGradient = Poisoned(batch * inputs);
        using var weightGradient = Upload(new float[outputs * inputs]);
        using var biasGradient = Upload(new float[outputs]);
        var stream = accelerator.DefaultStream;
        library.DenseForward<Rectifier>(stream, dx.View, dw.View, db.View, y.View, batch, inputs, outputs);
        library.DenseInputGradient(stream, dDelta.View, dw.View, inputGradient.View, batch, inputs, outputs, gate: dx.View);
        library.DenseWeightGradient(stream, dx.View, dDelta.View, weightGradient.View, biasGradient.View, batch, inputs, outputs);

        var expectedY = new double[batch * outputs];
        var expectedInput = new double[batch * inputs];
        var expectedWeights = new double[outputs * inputs];
        var expectedBias = new double[outputs];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o], d = delta[n * outputs + o];
                expectedBias[o] += d;
                for (int i = 0; i < inputs; i++)
                {
                    sum += (double)x[n * inputs + i] * w[o * inputs + i];
                    expectedInput[n * inputs + i] += d * w[o * inputs + i];
                    expectedWeights[o * inputs + i] += d * x[n * inputs + i];
                }
                expectedY[n * outputs + o] = Math.Max(sum, 0);
            }
        AssertClose(expectedY, y.GetAsArray1D(), inputs, "forward");
        for (int i = 0; i < x.Length; i++)
            if (x[i] <= 0f)
                expectedInput[i] = 0; // the input as its own gate
        AssertClose(expectedInput, inputGradient.GetAsArray1D(), outputs, "input gradient");
        AssertClose(expectedWeights, weightGradient.GetAsArray1D(), batch, "weight gradient");
        AssertClose(expectedBias, biasGradient.GetAsArray1D(), batch, "bias gradient");
    }

    [Theory]
    [InlineData(3, 5, 37)]
    [InlineData(2, 64, 300)]
    public void BatchStatisticsEqualTheLoops(int images, int channels, int pixels)
    {
        var x = Random(images * channels * pixels, 17).Select((v, i) => v + i % 7).ToArray();
        using var dx = Upload(x);
        using var mean = Poisoned(channels);
        using var inverse = Poisoned(channels);
        library.BatchStatistics(accelerator.DefaultStream, dx.View, images, channels, pixels, 1e-5f, mean.View, inverse.View);
        var expectedMean = new double[channels];
        var expectedInverse = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            var values = Enumerable.Range(0, images).SelectMany(n => Enumerable.Range(0, pixels).Select(p => (double)x[(n * channels + c) * pixels + p])).ToArray();
            expectedMean[c] = values.Average();
            expectedInverse[c] = 1 / Math.Sqrt(values.Select(v => (v - expectedMean[c]) * (v - expectedMean[c])).Average() + 1e-5);
        }
        AssertClose(expectedMean, mean.GetAsArray1D(), 4, "mean");
        AssertClose(expectedInverse, inverse.GetAsArray1D(), 4, "1 / deviation");
    }

    [Theory]
    [InlineData(3, 10)]
    [InlineData(2, 1000)]
    public void SoftmaxEqualsTheLoop(int rows, int classes)
    {
        var x = Random(rows * classes, 18).Select(v => v * 30f).ToArray();
        using var dx = Upload(x);
        using var y = Poisoned(rows * classes);
        library.Softmax(accelerator.DefaultStream, dx.View, y.View, rows, classes);
        var expected = new double[rows * classes];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Skip(r * classes).Take(classes).Select(v => (double)v).ToArray();
            double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
            for (int i = 0; i < classes; i++)
                expected[r * classes + i] = Math.Exp(row[i] - max) / sum;
        }
        AssertClose(expected, y.GetAsArray1D(), 4, "softmax");
    }

    private static float[] Random(int count, ulong stream) =>
        Enumerable.Range(0, count).Select(i => CounterHash.Uniform(stream, 0, (ulong)i) * 2f - 1f).ToArray();

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values)
    {
        var buffer = accelerator.Allocate1D<float>(values.Length);
        buffer.View.CopyFromCPU(values);
        return buffer;
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Poisoned(int count) => Upload(Enumerable.Repeat(float.NaN, count).ToArray());

    /// <summary>Each value within float32's rounding of a sum of <paramref name="terms"/> products of values below 1.</summary>
    private static void AssertClose(double[] expected, float[] actual, int terms, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double tolerance = 1e-6 * (terms + 4);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}, element {i}: {actual[i]} against {expected[i]}");
    }
}
