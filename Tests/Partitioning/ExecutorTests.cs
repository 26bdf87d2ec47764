using System;
using System.Linq;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Partitioning;

/// <summary>
/// The executor on two CPU devices against the same network on one: the same logits, loss and
/// gradients, the same weights after training, and exactly the transfers the plan lists.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class ExecutorTests(AcceleratorFixture fixture)
{
    /// <summary>The bound: two devices differ from one by at most this, normwise, in every tensor.</summary>
    private const double Tolerance = 1e-5;

    [Theory, InlineData(true), InlineData(false)]
    public void MiniAlexNetStepOnTwoDevicesMatchesOneDevice(bool dropout)
    {
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 3);
        var images = Numbers.Uniform(8 * 28 * 28, 11, scale: 2f);
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 9];
        AssertSameStep(network, images, labels, dropout);
    }

    [Fact]
    public void AlexNetStepOnTwoDevicesMatchesOneDevice()
    {
        using var network = new AlexNet(fixture.CpuDevice, seed: 1);
        var images = Numbers.Uniform(2 * 3 * 227 * 227, 5, scale: 100f);
        AssertSameStep(network, images, [17, 912], dropout: true);
    }

    [Fact]
    public void GlobalAveragePoolingStaysInItsColumnOnTwoDevices()
    {
        using var network = new Kernels.GlobalAvgPoolProbe(fixture.CpuDevice, seed: 2);
        // The pool averages each device's own channels; only fc, computed whole on both, gathers them.
        var plan = Kernels.GlobalAvgPoolProbe.Partition;
        Assert.Equal(["conv", "fc"], plan.Layers.Select(l => l.Name));
        Assert.False(plan.Layers[0].ReadsOtherDevice);
        Assert.True(plan.Layers[1].ReadsOtherDevice);
        Assert.True(plan.Layers[1].Replicated);
        Assert.Equal(2, plan.Transfers.Count); // each device sends the other its two channel means, once, forward
        Assert.All(plan.Transfers, t => Assert.Equal(("fc", "forward", 2L), (t.Layer, t.Pass, t.FloatsPerImage)));
        AssertSameStep(network, Numbers.Uniform(5 * 3 * 7 * 7, 13, scale: 2f), [0, 1, 2, 1, 0], dropout: false);
    }

    [Fact]
    public void LayersWithoutBiasOnTwoDevicesMatchOneDevice()
    {
        using var network = new NoBiasColumnsProbe(fixture.CpuDevice, seed: 2);
        Assert.Equal(["conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight", "fc2.bias"], network.Info.Parameters.Select(p => p.Name));
        var images = Numbers.Uniform(4 * 3 * 8 * 8, 6, scale: 2f);
        AssertSameStep(network, images, [0, 1, 4, 2], dropout: false);
    }

    /// <summary>
    /// Batch normalisation, residual adds and named inputs over two devices: the loss, logits, every
    /// gradient and the running statistics after the step are one device's, in training and in
    /// evaluation (with running statistics that are not the initial ones).
    /// </summary>
    [Theory, InlineData(true), InlineData(false)]
    public void AGraphWithBatchNormOnTwoDevicesMatchesOneDevice(bool training)
    {
        var images = Numbers.Uniform(4 * 2 * 6 * 6, 21, scale: 2f);
        int[] labels = [0, 2, 1, 2];
        using var one = new Kernels.GraphColumnsProbe(fixture.CpuDevice, seed: 4);
        using var two = new Kernels.GraphColumnsProbe(fixture.CpuDevice, seed: 4);
        if (!training)
        {
            var p = one.ReadParameters();
            foreach (var t in one.Info.Parameters.Where(t => t.Name.EndsWith(".running_mean") || t.Name.EndsWith(".running_var")))
                for (int i = 0; i < t.Count; i++)
                    p[t.Offset + i] = (t.Name.EndsWith("var") ? 1.5f : 0f) + 0.3f * MathF.Sin(i + t.Offset);
            one.WriteParameters(p);
            two.WriteParameters(p);
        }
        using var trainOne = new Trainer(one, seed: 7);
        using var trainTwo = new PartitionedTrainer(two, devices: 2, seed: 7);
        var a = trainOne.ComputeGradients(images, labels, training);
        var b = trainTwo.ComputeGradients(images, labels, training);
        Assert.True(Math.Abs(a.Loss - b.Loss) <= Tolerance * Math.Abs(a.Loss), $"loss: {a.Loss:R} on one device, {b.Loss:R} on two");
        AssertNear(trainOne.ReadLogits(labels.Length), trainTwo.ReadLogits(labels.Length), "logits");
        var ga = trainOne.ReadGradients();
        var gb = trainTwo.ReadGradients();
        var pa = one.ReadParameters();
        var pb = two.ReadParameters();
        foreach (var p in one.Info.Parameters)
        {
            if (p.Trainable)
                AssertNear(ga.AsSpan((int)p.Offset, (int)p.Count).ToArray(), gb.AsSpan((int)p.Offset, (int)p.Count).ToArray(), p.Name + ".grad");
            else if (p.Name.EndsWith(".num_batches_tracked"))
                Assert.Equal(training ? 1f : 0f, pb[p.Offset]);
            else
                AssertNear(pa.AsSpan((int)p.Offset, (int)p.Count).ToArray(), pb.AsSpan((int)p.Offset, (int)p.Count).ToArray(), p.Name);
        }
    }

    [Theory, InlineData(0f, 0f), InlineData(0.5f, 0f), InlineData(0f, 0.2f)]
    public void TrainingStepsOnTwoDevicesEndWithTheWeightsOfOne(float clipNorm, float labelSmoothing)
    {
        var images = Numbers.Uniform(16 * 28 * 28, 2);
        int[] labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        float[] rates = [0.01f, 0.01f, 0.005f, 0.002f, 0.01f];
        using var one = new MiniAlexNet(fixture.CpuDevice, seed: 4);
        using var two = new MiniAlexNet(fixture.CpuDevice, seed: 4);
        using var trainOne = new MiniAlexNet.Trainer(one, seed: 8);
        using var trainTwo = new PartitionedTrainer(two, devices: 2, seed: 8);
        trainOne.ClipNorm = trainTwo.ClipNorm = clipNorm;
        trainOne.LabelSmoothing = trainTwo.LabelSmoothing = labelSmoothing;
        foreach (float rate in rates)
        {
            var a = trainOne.Train(images, labels, rate);
            if (clipNorm > 0)
                Assert.True(trainOne.LastGradientNorm > clipNorm, $"the gradient's norm {trainOne.LastGradientNorm} should need clipping");
            var b = trainTwo.Train(images, labels, rate);
            Assert.True(Math.Abs(a.Loss - b.Loss) <= Tolerance * Math.Abs(a.Loss), $"loss at rate {rate}: {a.Loss:R} on one device, {b.Loss:R} on two");
        }
        AssertNear(one.ReadParameters(), two.ReadParameters(), "weights after 5 steps");
        AssertNear(trainOne.ReadVelocity(), trainTwo.ReadVelocity(), "momentum after 5 steps");
        using var untrained = new MiniAlexNet(fixture.CpuDevice, seed: 4);
        Assert.NotEqual(untrained.ReadParameters(), two.ReadParameters()); // it did train
    }

    /// <summary>Each optimiser on two devices, each column updating its rows and their moments, against one device.</summary>
    [Theory, InlineData(Optimizer.Adam, false), InlineData(Optimizer.AdamW, false), InlineData(Optimizer.Sgd, true)]
    public void EachOptimiserOnTwoDevicesEndsWithTheWeightsOfOne(Optimizer optimizer, bool nesterov)
    {
        var images = Numbers.Uniform(16 * 28 * 28, 2);
        int[] labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        using var one = new MiniAlexNet(fixture.CpuDevice, seed: 4);
        using var two = new MiniAlexNet(fixture.CpuDevice, seed: 4);
        using var trainOne = new Trainer(one, seed: 8, optimizer, weightDecay: 0.01f);
        using var trainTwo = new PartitionedTrainer(two, devices: 2, seed: 8, optimizer, weightDecay: 0.01f);
        trainOne.Optimiser.Nesterov = trainTwo.Optimiser.Nesterov = nesterov;
        foreach (float rate in new[] { 0.001f, 0.002f, 0.0005f })
        {
            trainOne.Train(images, labels, rate);
            trainTwo.Train(images, labels, rate);
        }
        AssertNear(one.ReadParameters(), two.ReadParameters(), "weights after 3 steps");
        var (a, b) = (trainOne.ReadOptimiserState(), trainTwo.ReadOptimiserState());
        AssertNear(a.First, b.First, "first moment after 3 steps");
        if (optimizer != Optimizer.Sgd) // the squares of the gradients, so twice their relative difference
            AssertNear(a.Second!, b.Second!, "second moment after 3 steps", 2 * Tolerance);
        Assert.Equal((3L, 3L), (a.Steps, b.Steps));
    }

    /// <summary>A two-device run with Adam saved after two steps and resumed on two fresh devices ends bit for bit where the uninterrupted one does.</summary>
    [Fact]
    public void AdamOnTwoDevicesResumesBitForBit()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("two.safetensors");
        var images = Numbers.Uniform(8 * 28 * 28, 9);
        int[] labels = [1, 1, 2, 3, 5, 8, 3, 1];
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 6);
        using var straight = new PartitionedTrainer(network, devices: 2, seed: 2, Optimizer.Adam);
        for (int step = 0; step < 3; step++)
        {
            straight.Train(images, labels, 0.001f);
            if (step == 1)
                straight.Save(path, epoch: 0, learningRate: 0.001f);
        }

        using var other = new MiniAlexNet(fixture.CpuDevice, seed: 0);
        using var resumed = new PartitionedTrainer(other, devices: 2, seed: 0, Optimizer.Adam);
        resumed.Load(path);
        resumed.Train(images, labels, 0.001f);
        Assert.Equal(network.ReadParameters(), other.ReadParameters());
        var (a, b) = (straight.ReadOptimiserState(), resumed.ReadOptimiserState());
        Assert.Equal(a.First, b.First);
        Assert.Equal(a.Second, b.Second);
        Assert.Equal(3, b.Steps);
    }

    [Fact]
    public void ANumericalFaultOnTwoDevicesStopsTheStep()
    {
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 4);
        network.Fc7.Weight.Write(Enumerable.Repeat(1e38f, (int)network.Fc7.Weight.Info.Count).ToArray());
        var before = network.ReadParameters();
        using var trainer = new PartitionedTrainer(network, devices: 2, seed: 8);
        var images = Numbers.Uniform(4 * 28 * 28, 2);

        var fault = Assert.Throws<NumericalFaultException>(() => trainer.Train(images, [1, 2, 3, 4], 0.01f));

        // The columns keep no whole activations, so the fault is named by the gradients: fc8's and
        // fc7's are NaN (from the overflowed fc7), and the one nearest the loss is fc8.
        Assert.Equal("fc8", fault.Layer);
        Assert.StartsWith("step 1: the gradient of fc8.", fault.Message);
        Assert.Equal(before, network.ReadParameters());
    }

    [Fact]
    public void TheDevicesMoveExactlyTheBytesThePlanLists()
    {
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 3);
        using var trainer = new PartitionedTrainer(network, devices: 2);
        const int Batch = 4;
        trainer.ComputeGradients(Numbers.Uniform(Batch * 28 * 28, 1), [1, 2, 3, 4]);
        var plan = MiniAlexNet.Partition;
        Assert.Equal(Batch * plan.Transfers.Where(t => t.Pass == "forward").Sum(t => t.BytesPerImage), trainer.Exchange.ForwardBytes);
        Assert.Equal(Batch * plan.Transfers.Where(t => t.Pass == "backward").Sum(t => t.BytesPerImage), trainer.Exchange.BackwardBytes);
        Assert.True(trainer.Exchange.BackwardBytes > 0);
    }

    [Fact]
    public void ACheckpointMovesBetweenOneAndTwoDevices()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"netgen-{Guid.NewGuid():N}.safetensors");
        try
        {
            var images = Numbers.Uniform(8 * 28 * 28, 9);
            int[] labels = [1, 1, 2, 3, 5, 8, 3, 1];
            using var network = new MiniAlexNet(fixture.CpuDevice, seed: 6);
            using var two = new PartitionedTrainer(network, devices: 2, seed: 2);
            two.Train(images, labels, 0.05f);
            two.Save(path, epoch: 1, learningRate: 0.05f);
            two.Train(images, labels, 0.05f);

            using var other = new MiniAlexNet(fixture.CpuDevice, seed: 0);
            using var one = new MiniAlexNet.Trainer(other);
            one.Load(path);
            one.Train(images, labels, 0.05f);
            // Same weights, momentum and dropout step: the second step agrees, up to the order of the input-gradient sums.
            AssertNear(network.ReadParameters(), other.ReadParameters(), "weights");
            AssertNear(two.ReadVelocity(), one.ReadVelocity(), "momentum");
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void ANetworkWithOneColumnOrTheWrongDeviceCountIsRefused()
    {
        using var mini = new MiniAlexNet(fixture.CpuDevice);
        var e = Assert.Throws<ArgumentException>(() => new PartitionedTrainer(mini, devices: 3));
        Assert.Contains("splits over 2 devices, one per column, not 3", e.Message);
        using var probe = new Kernels.SgdProbe(fixture.CpuDevice);
        e = Assert.Throws<ArgumentException>(() => new PartitionedTrainer(probe, devices: 2));
        Assert.Contains("declares one column", e.Message);
    }

    /// <summary>One device's step against two devices' on the same weights, images, labels and masks.</summary>
    internal static void AssertSameStep(Network network, float[] images, int[] labels, bool dropout)
    {
        using var one = new Trainer(network, seed: 7);
        using var two = new PartitionedTrainer(network, devices: 2, seed: 7);
        var a = one.ComputeGradients(images, labels, dropout);
        var b = two.ComputeGradients(images, labels, dropout);
        Assert.Equal(a.Top1, b.Top1);
        Assert.Equal(a.Top5, b.Top5);
        Assert.True(Math.Abs(a.Loss - b.Loss) <= Tolerance * Math.Abs(a.Loss), $"loss: {a.Loss:R} on one device, {b.Loss:R} on two");
        AssertNear(one.ReadLogits(labels.Length), two.ReadLogits(labels.Length), "logits");
        var ga = one.ReadGradients();
        var gb = two.ReadGradients();
        foreach (var p in network.Info.Parameters)
            AssertNear(ga.AsSpan((int)p.Offset, (int)p.Count).ToArray(), gb.AsSpan((int)p.Offset, (int)p.Count).ToArray(), p.Name + ".grad");
    }

    /// <summary>Normwise relative difference within <see cref="Tolerance"/>, and not a tensor of zeros.</summary>
    internal static void AssertNear(float[] expected, float[] actual, string what, double tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference += Math.Pow((double)expected[i] - actual[i], 2);
            norm += (double)expected[i] * expected[i];
        }
        Assert.True(norm > 0, $"{what} is all zeros");
        double relative = Math.Sqrt(difference / norm);
        Assert.True(relative <= tolerance, $"{what}: relative difference {relative:E2} between one and two devices");
    }
}

/// <summary>Layers without a bias split over two columns (He-initialised), the last one whole on each.</summary>
[Network(Channels = 3, Height = 8, Width = 8, Columns = 2, Init = Init.HeNormal)]
public sealed partial class NoBiasColumnsProbe
{
    [Conv(8, Kernel = 3, Pad = 1, Bias = false), Relu, MaxPool(2)] public partial Layer Conv1 { get; }
    [Conv(8, Kernel = 3, Pad = 1, Groups = 2, Bias = false), Relu] public partial Layer Conv2 { get; }
    [Dense(16, Bias = false), Relu] public partial Layer Fc1 { get; }
    [Dense(5)] public partial Layer Fc2 { get; }
}
