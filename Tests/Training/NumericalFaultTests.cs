using System;
using System.IO;
using System.Linq;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Kernels;

namespace NetGen.Tests.Training;

/// <summary>
/// NaN and infinity stop training where they appear, with the step and the layer, before the
/// step is applied; the last checkpoint stays as it was; and gradient clipping scales a step's
/// gradients to the norm asked for.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class NumericalFaultTests(AcceleratorFixture fixture)
{
    private const int Batch = 3;

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void AnOverflowingLayerStopsTheStepAndIsNamed(string device)
    {
        using var net = new ConvProbe(fixture[device]);
        GradientCheck.Randomise(net, seed: 5);
        // Weights of 1e38 overflow the convolution's sums of 18 taps to infinity.
        net.Conv.Weight.Write(Enumerable.Repeat(1e38f, (int)net.Conv.Weight.Info.Count).ToArray());
        var before = net.ReadParameters();
        using var trainer = new Trainer(net, seed: 1);
        trainer.Step = 41;

        var fault = Assert.Throws<NumericalFaultException>(() =>
            trainer.Train(Numbers.Uniform(Batch * net.Info.Input.Size, 4), GradientCheck.Labels(Batch, net.Info.Output.Size, 8), 0.01f));

        Assert.Equal(42, fault.Step);
        Assert.Equal("conv", fault.Layer);
        Assert.StartsWith("step 42: the loss is ", fault.Message);
        Assert.Contains("; the activation conv is the first that is not finite. The step was not applied.", fault.Message);
        Assert.Equal(before, net.ReadParameters()); // not applied
        Assert.Equal(41, trainer.Step);
    }

    [Fact]
    public void ANonFiniteGradientNamesTheLayerNearestTheLoss()
    {
        var info = MiniAlexNet.Description;
        var gradients = new float[info.ParameterCount];
        var sums = new double[info.Parameters.Count];
        // A fault made in fc6's backward pass spreads to every layer below it, and to none above.
        int fc6 = info.Parameters.ToList().FindIndex(p => p.Name == "fc6.weight");
        for (int i = 0; i <= fc6; i++)
            sums[i] = double.NaN;
        var p = info.Parameters[fc6];
        gradients[p.Offset + 3] = float.NaN;
        gradients[p.Offset + 9] = float.PositiveInfinity;
        gradients[p.Offset + 10] = float.NegativeInfinity;

        var fault = Assert.Throws<NumericalFaultException>(() => GradientGuard.Check(info, sums, 7, () => gradients));

        Assert.Equal("fc6", fault.Layer);
        Assert.Equal(7, fault.Step);
        Assert.StartsWith($"step 7: the gradient of fc6.weight holds 1 NaN and 2 infinite values of {p.Count:N0}", fault.Message);
        Assert.Contains($"({fc6 + 1} of {info.Parameters.Count} parameter tensors are affected)", fault.Message);
        GradientGuard.Check(info, new double[info.Parameters.Count], 7, () => throw new InvalidOperationException("finite sums need no read"));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ClippingScalesTheStepToTheNorm(string device)
    {
        using var net = new ConvInputProbe(fixture[device]);
        GradientCheck.Randomise(net, seed: 9);
        var images = Numbers.Uniform(Batch * net.Info.Input.Size, 4);
        var labels = GradientCheck.Labels(Batch, net.Info.Output.Size, 8);
        using var trainer = new Trainer(net, seed: 2, momentum: 0.9f, weightDecay: 0f);
        trainer.ComputeGradients(images, labels);
        var gradient = trainer.ReadGradients();
        double norm = Math.Sqrt(gradient.Sum(g => (double)g * g));
        var before = net.ReadParameters();
        const float rate = 0.5f;
        trainer.ClipNorm = (float)(norm / 4);

        trainer.Train(images, labels, rate);

        Assert.Equal(norm, trainer.LastGradientNorm, norm * 1e-6);
        // From zero momentum and no decay, a step moves each weight by -rate * g * (clip / norm).
        var expected = before.Select((w, i) => w - rate * gradient[i] / 4f).ToArray();
        Numbers.AssertClose(expected, net.ReadParameters(), "clipped step");
    }

    [Fact]
    public void ADivergingRunStopsAndKeepsItsLastGoodCheckpoint()
    {
        var data = TrainingRunTests.Sample(train: 256, validation: 64);
        using var folder = new TemporaryFolder();
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 1);
        // A learning rate of 1e6 throws the weights far enough in a step or two for the sums to overflow.
        var options = new TrainingOptions(Epochs: 2, BatchSize: 16, LearningRate: 1e6f, Seed: 1, SaveEverySteps: 1);
        var run = new TrainingRun(network, data, options, TrainingRunTests.MiniPreprocessing, folder.Path);

        var fault = Assert.Throws<NumericalFaultException>(() => run.Run());

        string last = Path.Combine(folder.Path, TrainingRun.LastFile);
        Assert.Contains(network.Info.Layers.Select(l => l.Name), name => fault.Layer.StartsWith(name, StringComparison.Ordinal));
        Assert.Contains($"{last} is untouched and holds the last good state (step {fault.Step - 1:N0}", fault.Message);
        var checkpoint = Checkpoint.Load(last, network.Info);
        Assert.Equal(fault.Step - 1, checkpoint.State.Step);
        Assert.All(checkpoint.Parameters, w => Assert.True(float.IsFinite(w)));
    }
}
