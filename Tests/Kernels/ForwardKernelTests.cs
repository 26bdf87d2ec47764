using System.Linq;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Kernels;

/// <summary>
/// Every generated forward kernel against the reference loops, on random weights and inputs, on
/// ILGPU's CPU accelerator. Each kernel is fed the activation the pass actually gave it, so a
/// failure names the kernel at fault.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class ForwardKernelTests(AcceleratorFixture fixture)
{
    private const int Batch = 3;

    /// <summary>Runs <paramref name="network"/> on random weights (uniform in [-1, 1)) and a random batch.</summary>
    private static (ForwardPass Pass, float[] Input) Run(Network network, DropoutKey dropout = default)
    {
        int seed = 11;
        foreach (var layer in network.Layers)
        {
            layer.Weight.Write(Numbers.Uniform((int)layer.Weight.Info.Count, seed++));
            if (layer.Parameters.Count > 1) // Bias = false: none
                layer.Bias.Write(Numbers.Uniform((int)layer.Bias.Info.Count, seed++));
        }
        var pass = network.CreateForwardPass(Batch);
        var input = Numbers.Uniform(Batch * network.Info.Input.Size, 99, 2f);
        pass.Run(input, dropout);
        return (pass, input);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ConvolutionWithStridePadAndGroups(string device)
    {
        using var net = new ConvProbe(fixture[device]);
        var (pass, input) = Run(net);

        Assert.Equal(new Shape(6, 6, 5), ConvProbe.Shapes.Conv);
        var expected = Reference.Conv(input, Batch, new Shape(4, 11, 9), net.Conv.Weight.Read(), net.Conv.Bias.Read(), 6, 3, 2, 1, 2, new Shape(6, 6, 5));
        Assert.Contains(expected, v => v < 0);
        Numbers.AssertClose(expected, pass.Read("conv"), "conv");
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ConvolutionRoundsUpAndDown(string device)
    {
        using var net = new RoundingProbe(fixture[device]);
        var (pass, input) = Run(net);

        Assert.Equal(new Shape(3, 4, 4), RoundingProbe.Shapes.Conv1);
        Assert.Equal(new Shape(4, 1, 1), RoundingProbe.Shapes.Conv2);
        var conv1 = Reference.Relu(Reference.Conv(input, Batch, new Shape(2, 11, 12), net.Conv1.Weight.Read(), net.Conv1.Bias.Read(), 3, 4, 3, 0, 1, new Shape(3, 4, 4)));
        Numbers.AssertClose(conv1, pass.Read("conv1"), "conv1");
        var conv2 = Reference.Conv(pass.Read("conv1"), Batch, new Shape(3, 4, 4), net.Conv2.Weight.Read(), net.Conv2.Bias.Read(), 4, 3, 2, 0, 1, new Shape(4, 1, 1));
        Numbers.AssertClose(conv2, pass.Read("conv2"), "conv2");
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ResponseNormalisationPaperAlphaWithinColumns(string device)
    {
        using var net = new LrnProbe(fixture[device]);
        var (pass, _) = Run(net);

        var conv = pass.Read("conv");
        var expected = Reference.Lrn(conv, Batch, new Shape(8, 5, 4), size: 5, alpha: 0.1, beta: 0.75, k: 2, columns: 2);
        Numbers.AssertClose(expected, pass.Read("conv.lrn"), "conv.lrn");
        // Confining the window to a column matters here: across all 8 channels the result differs.
        var across = Reference.Lrn(conv, Batch, new Shape(8, 5, 4), 5, 0.1, 0.75, 2, columns: 1);
        Assert.NotEqual(across, expected);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ResponseNormalisationCaffeAlphaAfterRelu(string device)
    {
        using var net = new LrnCaffeProbe(fixture[device]);
        var (pass, _) = Run(net);

        var relu = pass.Read("conv");
        Assert.All(relu, v => Assert.True(v >= 0f));
        var expected = Reference.Lrn(relu, Batch, new Shape(7, 5, 4), size: 3, alpha: 0.3f / 3, beta: 0.5, k: 1, columns: 1);
        Numbers.AssertClose(expected, pass.Read("conv.lrn"), "conv.lrn");
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void MaxAndAveragePooling(string device)
    {
        using var net = new PoolProbe(fixture[device]);
        var (pass, _) = Run(net);

        Assert.Equal(new Shape(4, 6, 6), PoolProbe.Shapes.Conv1MaxPool);
        Assert.Equal(new Shape(4, 4, 4), PoolProbe.Shapes.Conv1AvgPool);
        Assert.Equal(new Shape(2, 2, 2), PoolProbe.Shapes.Conv2MaxPool);
        var max = Reference.MaxPool(pass.Read("conv1"), Batch, new Shape(4, 11, 11), 3, 2, 1, new Shape(4, 6, 6));
        Numbers.AssertClose(max, pass.Read("conv1.maxpool"), "conv1.maxpool");
        var avg = Reference.AvgPool(pass.Read("conv1.maxpool"), Batch, new Shape(4, 6, 6), 3, 2, 1, new Shape(4, 4, 4));
        Numbers.AssertClose(avg, pass.Read("conv1.avgpool"), "conv1.avgpool");
        var max2 = Reference.Relu(Reference.MaxPool(pass.Read("conv2"), Batch, new Shape(2, 4, 4), 3, 2, 0, new Shape(2, 2, 2)));
        Numbers.AssertClose(max2, pass.Read("conv2.maxpool"), "conv2.maxpool");
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void GlobalAveragePoolingIsEachChannelsMean(string device)
    {
        using var net = new GlobalAvgPoolProbe(fixture[device]);
        var (pass, _) = Run(net);

        Assert.Equal(new Shape(4, 7, 7), GlobalAvgPoolProbe.Shapes.Conv);
        Assert.Equal(new Shape(4, 1, 1), GlobalAvgPoolProbe.Shapes.ConvGlobalAvgPool);
        var conv = pass.Read("conv");
        var expected = new float[Batch * 4];
        for (int plane = 0; plane < Batch * 4; plane++)
        {
            double sum = 0;
            for (int i = 0; i < 49; i++)
                sum += conv[plane * 49 + i];
            expected[plane] = (float)(sum / 49);
        }
        Assert.Contains(expected, v => v > 0);
        Numbers.AssertClose(expected, pass.Read("conv.globalavgpool"), "conv.globalavgpool");
        var fc = Reference.Dense(pass.Read("conv.globalavgpool"), Batch, 4, net.Fc.Weight.Read(), net.Fc.Bias.Read(), 3);
        Numbers.AssertClose(fc, pass.Read("fc"), "fc");
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void DenseAndSoftmax(string device)
    {
        using var net = new DenseProbe(fixture[device]);
        var (pass, input) = Run(net);

        var fc1 = Reference.Relu(Reference.Dense(input, Batch, 60, net.Fc1.Weight.Read(), net.Fc1.Bias.Read(), 16));
        Numbers.AssertClose(fc1, pass.Read("fc1"), "fc1");
        var fc2 = Reference.Dense(pass.Read("fc1"), Batch, 16, net.Fc2.Weight.Read(), net.Fc2.Bias.Read(), 6);
        Numbers.AssertClose(fc2, pass.Read("fc2"), "fc2");
        var probabilities = pass.Read("fc2.softmax");
        Numbers.AssertClose(Reference.Softmax(fc2, Batch), probabilities, "fc2.softmax", absolute: 1e-6);
        for (int n = 0; n < Batch; n++)
            Assert.Equal(1.0, probabilities.Skip(n * 6).Take(6).Sum(p => (double)p), 5);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void DropoutDrawsReproducibleInvertedMasks(string device)
    {
        using var net = new DenseProbe(fixture[device]);
        const int batch = 256;
        var input = Numbers.Uniform(batch * 60, 5, 2f);
        using var pass = net.CreateForwardPass(batch);
        pass.Run(input);
        var eval = pass.Read("fc1");
        pass.Run(input, new DropoutKey(Seed: 42, Step: 3, Training: 1));
        var train = pass.Read("fc1");
        pass.Run(input, new DropoutKey(42, 3, 1));
        var again = pass.Read("fc1");
        pass.Run(input, new DropoutKey(42, 4, 1));
        var nextStep = pass.Read("fc1");

        int live = 0, dropped = 0;
        for (int i = 0; i < eval.Length; i++)
        {
            if (eval[i] == 0f)
                continue;
            live++;
            if (train[i] == 0f)
                dropped++;
            else
                Assert.Equal(eval[i] / 0.75f, train[i], 1e-6f * (1f + System.Math.Abs(train[i]))); // survivors scaled by 1 / (1 - 0.25)
        }
        // Binomial(live, 0.25): within five standard deviations of its mean.
        double mean = live * 0.25, sd = System.Math.Sqrt(live * 0.25 * 0.75);
        Assert.InRange(dropped, mean - 5 * sd, mean + 5 * sd);
        Assert.Equal(train, again);
        Assert.NotEqual(train, nextStep);
    }

    [Fact]
    public void LayersWithoutBiasHaveNoBiasTensor()
    {
        var info = NoBiasProbe.Description;
        Assert.Equal(["conv1.weight", "conv2.weight", "conv3.weight", "fc1.weight", "fc2.weight", "fc2.bias"], info.Parameters.Select(p => p.Name));
        Assert.Equal([0L, 108, 324, 340, 660, 675], info.Parameters.Select(p => p.Offset));
        Assert.Equal(678, info.ParameterCount);
        Assert.Equal([108L, 216, 16, 320, 18], info.Layers.Select(l => l.ParameterCount));
        Assert.Equal("conv 6, 3x3, stride 2, pad 1, groups 2, no bias", info.Layers[0].Operations[0].Description);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void LayersWithoutBiasAddNone(string device)
    {
        using var net = new NoBiasProbe(fixture[device]);
        var (pass, input) = Run(net);
        float[] None(int count) => new float[count];

        var conv1 = Reference.Relu(Reference.Conv(input, Batch, new Shape(4, 7, 7), net.Conv1.Weight.Read(), None(6), 6, 3, 2, 1, 2, new Shape(6, 4, 4)));
        Numbers.AssertClose(conv1, pass.Read("conv1"), "conv1");
        var conv2 = Reference.Relu(Reference.Conv(pass.Read("conv1"), Batch, new Shape(6, 4, 4), net.Conv2.Weight.Read(), None(4), 4, 3, 1, 1, 1, new Shape(4, 4, 4)));
        Numbers.AssertClose(conv2, pass.Read("conv2"), "conv2");
        var conv3 = Reference.Relu(Reference.Conv(pass.Read("conv2"), Batch, new Shape(4, 4, 4), net.Conv3.Weight.Read(), None(4), 4, 1, 1, 0, 1, new Shape(4, 4, 4)));
        Numbers.AssertClose(conv3, pass.Read("conv3"), "conv3");
        var fc1 = Reference.Relu(Reference.Dense(pass.Read("conv3"), Batch, 64, net.Fc1.Weight.Read(), None(5), 5));
        Numbers.AssertClose(fc1, pass.Read("fc1"), "fc1");
        var fc2 = Reference.Dense(pass.Read("fc1"), Batch, 5, net.Fc2.Weight.Read(), net.Fc2.Bias.Read(), 3);
        Numbers.AssertClose(fc2, pass.Read("fc2"), "fc2");
        Assert.Contains(conv3, v => v > 0);
    }
}
