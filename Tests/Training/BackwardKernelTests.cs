using System;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Kernels;
using static NetGen.Tests.Training.ReferenceNet;

namespace NetGen.Tests.Training;

/// <summary>
/// Gradient checks for every operation's backward kernels, on probe networks small enough for
/// finite differences over every tensor. See <see cref="GradientCheck"/> for the tolerances.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class BackwardKernelTests(AcceleratorFixture fixture)
{
    private const int Batch = 3;

    private static StepResult Check(Network net, System.Func<DropoutKey, ReferenceNet> reference, bool dropout = false, float scale = 1f, float smoothing = 0)
    {
        GradientCheck.Randomise(net, seed: 21);
        var images = Numbers.Uniform(Batch * net.Info.Input.Size, 4, scale);
        var labels = GradientCheck.Labels(Batch, net.Info.Output.Size, 8);
        return GradientCheck.Run(net, reference, images, labels, dropout, smoothing: smoothing);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ConvolutionWeightsWithStridePadAndGroups(string device)
    {
        using var net = new ConvProbe(fixture[device]);
        Check(net, _ => new ReferenceNet(net.Info, new Conv(new(4, 11, 9), 6, 3, 2, 1, 2, new(6, 6, 5), 0, 108)));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void LayersWithoutBias(string device)
    {
        using var net = new NoBiasProbe(fixture[device]);
        // Offsets from NoBiasProbe's comments; -1: no bias.
        Check(net, _ => new ReferenceNet(net.Info,
            new Conv(new(4, 7, 7), 6, 3, 2, 1, 2, new(6, 4, 4), 0, -1), new Relu(),
            new Conv(new(6, 4, 4), 4, 3, 1, 1, 1, new(4, 4, 4), 108, -1), new Relu(),
            new Conv(new(4, 4, 4), 4, 1, 1, 0, 1, new(4, 4, 4), 324, -1), new Relu(),
            new Dense(64, 5, 340, -1), new Relu(),
            new Dense(5, 3, 660, 675)));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ConvolutionInputThroughStridePadGroupsAndRelu(string device)
    {
        using var net = new ConvInputProbe(fixture[device]);
        Check(net, _ => new ReferenceNet(net.Info,
            new Conv(new(3, 9, 7), 4, 1, 1, 0, 1, new(4, 9, 7), 0, 12), new Relu(),
            new Conv(new(4, 9, 7), 6, 3, 2, 1, 2, new(6, 5, 4), 16, 16 + 108)));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void SamePaddedConvolutionsThroughRelu(string device)
    {
        using var net = new SamePaddingProbe(fixture[device]);
        // 4 x 2 x 3 x 3 = 72 weights, then 4 x 2 x 5 x 5 = 200 from offset 72 + 4 biases, then 3 x 4 from 280.
        Check(net, _ => new ReferenceNet(net.Info,
            new Conv(new(2, 6, 5), 4, 3, 1, 1, 1, new(4, 6, 5), 0, 72), new Relu(),
            new Conv(new(4, 6, 5), 4, 5, 1, 2, 2, new(4, 6, 5), 76, 76 + 200),
            new Conv(new(4, 6, 5), 3, 1, 1, 0, 1, new(3, 6, 5), 280, 280 + 12)));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ConvolutionRoundedUpThenDown(string device)
    {
        using var net = new RoundingProbe(fixture[device]);
        Check(net, _ => new ReferenceNet(net.Info,
            new Conv(new(2, 11, 12), 3, 4, 3, 0, 1, new(3, 4, 4), 0, 96), new Relu(),
            new Conv(new(3, 4, 4), 4, 3, 2, 0, 1, new(4, 1, 1), 99, 99 + 108)));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ResponseNormalisationPaperAlphaWithinColumnsAndNoSoftmax(string device)
    {
        using var net = new LrnProbe(fixture[device]);
        // Large inputs, so the normalisation is far from the identity and its gradient is tested.
        Check(net, _ => new ReferenceNet(net.Info,
            new Conv(new(3, 5, 4), 8, 1, 1, 0, 1, new(8, 5, 4), 0, 24),
            new Lrn(new(8, 5, 4), 5, 0.1f, 0.75f, 2f, 2)), scale: 4f);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ResponseNormalisationCaffeAlphaAfterRelu(string device)
    {
        using var net = new LrnCaffeProbe(fixture[device]);
        Check(net, _ => new ReferenceNet(net.Info,
            new Conv(new(3, 5, 4), 7, 1, 1, 0, 1, new(7, 5, 4), 0, 21), new Relu(),
            new Lrn(new(7, 5, 4), 3, 0.3f / 3, 0.5f, 1f, 1)), scale: 4f);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void MaxAndAveragePoolingWithPaddingAndCeil(string device)
    {
        using var net = new PoolProbe(fixture[device]);
        Check(net, _ => new ReferenceNet(net.Info,
            new Conv(new(3, 11, 11), 4, 1, 1, 0, 1, new(4, 11, 11), 0, 12),
            new Pool(true, new(4, 11, 11), 3, 2, 1, new(4, 6, 6)),
            new Pool(false, new(4, 6, 6), 3, 2, 1, new(4, 4, 4)),
            new Conv(new(4, 4, 4), 2, 1, 1, 0, 1, new(2, 4, 4), 16, 24),
            new Pool(true, new(2, 4, 4), 3, 2, 0, new(2, 2, 2)), new Relu()));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void GlobalAveragePoolingAfterReluIntoDense(string device)
    {
        using var net = new GlobalAvgPoolProbe(fixture[device]);
        // 4 x 3 x 3 x 3 = 108 weights and 4 biases, then fc's 3 x 4 from 112 and its 3 biases from 124.
        Check(net, _ => new ReferenceNet(net.Info,
            new Conv(new(3, 7, 7), 4, 3, 1, 1, 1, new(4, 7, 7), 0, 108), new Relu(),
            new GlobalAvgPool(new(4, 7, 7)),
            new Dense(4, 3, 112, 124)));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void DenseReluDropoutAndSoftmaxCrossEntropy(string device)
    {
        using var net = new DenseProbe(fixture[device]);
        ReferenceNet Reference(DropoutKey key) => new(net.Info,
            new Dense(60, 16, 0, 960), new Relu(), new Dropout(2, 0.25f, key),
            new Dense(16, 6, 976, 1072));
        var result = Check(net, Reference);
        Assert.Equal(Batch, result.Images);
        // In training the same masks must be drawn forward and backward.
        Check(net, Reference, dropout: true);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void LabelSmoothingAgainstTheReferenceAndFiniteDifferences(string device)
    {
        using var net = new DenseProbe(fixture[device]);
        Check(net, key => new ReferenceNet(net.Info,
            new Dense(60, 16, 0, 960), new Relu(), new Dropout(2, 0.25f, key),
            new Dense(16, 6, 976, 1072)) { Smoothing = 0.2 }, dropout: true, smoothing: 0.2f);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void LabelSmoothingTrainsButEvaluationScoresTheOneHotLabel(string device)
    {
        // Logits of 0 and ln 3 (fc reads one input of 1 through weights 0 and ln 3), so p = (1/4, 3/4).
        // With label 0 and smoothing 0.2 the target is (0.9, 0.1): the loss is
        // -(0.9 ln 1/4 + 0.1 ln 3/4) = 1.2764334 and the logits' gradient p - q = (-0.65, 0.65);
        // evaluation's loss is plain -ln 1/4 = 1.3862944.
        using var net = new TwoClassProbe(fixture[device]);
        net.Fc.Weight.Write([0f, MathF.Log(3f)]);
        net.Fc.Bias.Write([0f, 0f]);
        using var trainer = new Trainer(net) { LabelSmoothing = 0.2f };
        var trained = trainer.ComputeGradients([1f], [0], dropout: false);
        Assert.Equal(1.2764334, trained.Loss, 5);
        var gradients = trainer.ReadGradients();
        Assert.Equal(-0.65f, gradients[0], 5); // d loss / d weight 0 = (p0 - q0) * input 1
        Assert.Equal(0.65f, gradients[1], 5);
        Assert.Equal(-0.65f, gradients[2], 5); // the biases
        Assert.Equal(0.65f, gradients[3], 5);
        Assert.Equal(1.3862944, trainer.Evaluate([1f], [0]).Loss, 5);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void MaxPoolRoutesTiesToTheFirstElement(string device)
    {
        using var net = new TieProbe(fixture[device]);
        GradientCheck.Randomise(net, 3);
        net.Conv.Weight.Write([1f]);
        net.Conv.Bias.Write([0f]);
        // Every 2x2 window holds two or more equal maxima.
        float[] image = [5, 5, 1, 1, 5, 5, 3, 3, 0, 2, 3, 3, 2, 2, 1, 0];
        using var trainer = new Trainer(net);
        trainer.ComputeGradients(image, [1], dropout: false);
        var (_, backward) = trainer.PassesFor(1);
        var routed = backward.ReadGradient("conv");
        var pooled = backward.ReadGradient("conv.maxpool");

        var reference = new ReferenceNet(net.Info, new Conv(new(1, 4, 4), 1, 1, 1, 0, 1, new(1, 4, 4), 0, 1),
            new Pool(true, new(1, 4, 4), 2, 1, 0, new(1, 3, 3)), new Dense(9, 3, 2, 29));
        var (_, _, expected) = reference.Backward(ReferenceNet.ToDouble(image), [1], ReferenceNet.ToDouble(net.ReadParameters()));
        for (int i = 0; i < 16; i++)
            Assert.Equal(expected[1][i], routed[i], 6);
        // Window (0, 0) holds four 5s and gives all to element 0; (0, 1) holds 5, 1, 5, 3 and gives to
        // element 1, not 5; (1, 0) holds 5, 5, 0, 2 and gives to element 4, not 5; (1, 1) to element 5.
        Assert.Equal(pooled[0], routed[0]);
        Assert.Equal(pooled[1], routed[1]);
        Assert.Equal(pooled[3], routed[4]);
        Assert.Equal(pooled[4], routed[5]);
    }
}
