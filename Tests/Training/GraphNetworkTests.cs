using System;
using System.Linq;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Kernels;

namespace NetGen.Tests.Training;

/// <summary>
/// Batch normalisation, the residual Add and layers that read an earlier layer, in one probe
/// (<see cref="GraphProbe"/>) on both backends: gradients against finite differences of the
/// network's own loss in training and in evaluation mode, the running statistics against the
/// batch's mean and variance worked out here, and the two backends against each other.
/// (ResNet8 against PyTorch is <c>ResNetTorchTests</c>; the CPU routines against reference loops
/// are <c>CpuBatchNormTests</c>.)
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class GraphNetworkTests(AcceleratorFixture fixture)
{
    private const int Batch = 4;

    private static float[] Images => Numbers.Uniform(Batch * 2 * 6 * 6, 21, 2f);

    private static readonly int[] Labels = [0, 2, 1, 2];

    private static GraphProbe Probe(Device device)
    {
        var net = new GraphProbe(device, seed: 4);
        GradientCheck.Randomise(net, 8);
        // Batch normalisation's scale and shift away from 1 and 0, so a term they multiply cannot hide.
        foreach (var tensor in net.Layers.SelectMany(l => l.Parameters).Where(t => t.Info.Name.Contains(".bn.weight") || t.Info.Name.Contains(".bn.bias")))
        {
            var values = Numbers.Uniform((int)tensor.Info.Count, (int)tensor.Info.Offset + 1, 0.4f);
            tensor.Write(tensor.Info.Name.EndsWith("weight") ? values.Select(v => 1f + v).ToArray() : values);
        }
        return net;
    }

    private static (int Offset, int Count) Tensor(Network net, string name)
    {
        var info = net.Info.Parameters.Single(p => p.Name == name);
        return ((int)info.Offset, (int)info.Count);
    }

    /// <summary>
    /// Central differences of the float loss, h = 3e-3: coarse beside the double references the
    /// other tests use, but a missing or wrongly signed term of a graph's gradient is off by its
    /// whole size, far outside 3% of the gradient.
    /// </summary>
    [Theory]
    [InlineData(AcceleratorFixture.Cpu, true)]
    [InlineData(AcceleratorFixture.Cpu, false)]
    [InlineData(AcceleratorFixture.Kernels, true)]
    [InlineData(AcceleratorFixture.Kernels, false)]
    public void GradientsMatchFiniteDifferencesInBothModes(string device, bool training)
    {
        using var net = Probe(fixture[device]);
        using var trainer = new Trainer(net, seed: 5);
        if (!training)
            SetRunningStatistics(net);
        trainer.ComputeGradients(Images, Labels, dropout: training);
        var gradients = trainer.ReadGradients();
        var p = net.ReadParameters();
        var random = new Random(3);
        foreach (var tensor in net.Info.Parameters.Where(t => t.Trainable))
        {
            int offset = (int)tensor.Offset, count = (int)tensor.Count;
            double scale = Enumerable.Range(offset, count).Max(i => Math.Abs(gradients[i]));
            Assert.True(scale > 0, $"{tensor.Name}: the gradient is zero everywhere, so the check would prove nothing");
            var chosen = Enumerable.Range(0, 3).Select(_ => offset + random.Next(count))
                .Append(Enumerable.Range(offset, count).MaxBy(i => Math.Abs(gradients[i]))).Distinct();
            foreach (int i in chosen)
            {
                const float h = 1e-3f;
                var running = p.ToArray(); // the running statistics a training pass moves are put back each time
                float saved = p[i];
                p[i] = saved + h;
                net.WriteParameters(p);
                double up = trainer.ComputeGradients(Images, Labels, dropout: training).Loss;
                p[i] = saved - h;
                net.WriteParameters(p);
                double down = trainer.ComputeGradients(Images, Labels, dropout: training).Loss;
                p[i] = saved;
                net.WriteParameters(running);
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(gradients[i] - fd) <= 0.03 * Math.Max(Math.Abs(fd), scale / 10) + 2e-4,
                    $"{tensor.Name}[{i - offset}] ({(training ? "training" : "evaluation")}): generated {gradients[i]:R}, finite difference {fd:R}");
            }
        }
    }

    /// <summary>Running statistics that are not the initial ones, so evaluation mode reads something.</summary>
    private static void SetRunningStatistics(Network net)
    {
        var p = net.ReadParameters();
        foreach (var tensor in net.Info.Parameters.Where(t => t.Name.EndsWith(".running_mean") || t.Name.EndsWith(".running_var")))
        {
            var values = Numbers.Uniform((int)tensor.Count, (int)tensor.Offset, 0.5f);
            for (int i = 0; i < values.Length; i++)
                p[tensor.Offset + i] = tensor.Name.EndsWith("var") ? 1f + values[i] : values[i];
        }
        net.WriteParameters(p);
    }

    /// <summary>
    /// One training pass moves the running estimates by the momentum towards the batch's mean and
    /// unbiased variance (worked out here from the convolution's stored output) and counts the batch;
    /// an evaluation pass leaves them.
    /// </summary>
    [Theory, InlineData(AcceleratorFixture.Cpu), InlineData(AcceleratorFixture.Kernels)]
    public void TrainingMovesTheRunningStatisticsAndEvaluationDoesNot(string device)
    {
        using var net = Probe(fixture[device]);
        using var trainer = new Trainer(net, seed: 5);
        trainer.ComputeGradients(Images, Labels, dropout: true);
        var (forward, _) = trainer.PassesFor(Batch);
        var conv = forward.Read("stem"); // (4, 4, 6, 6), before the batch norm
        var after = net.ReadParameters();
        var (meanAt, _) = Tensor(net, "stem.bn.running_mean");
        var (varAt, _) = Tensor(net, "stem.bn.running_var");
        for (int c = 0; c < 4; c++)
        {
            var values = Enumerable.Range(0, Batch).SelectMany(n => Enumerable.Range(0, 36).Select(i => (double)conv[(n * 4 + c) * 36 + i])).ToArray();
            double mean = values.Average();
            double unbiased = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
            Assert.Equal(0.1 * mean, after[meanAt + c], 1e-5);
            Assert.Equal(0.9 + 0.1 * unbiased, after[varAt + c], 1e-5);
        }
        Assert.Equal(1f, after[Tensor(net, "stem.bn.num_batches_tracked").Offset]);
        Assert.Equal(1f, after[Tensor(net, "fc.bn.num_batches_tracked").Offset]);

        trainer.Evaluate(Images, Labels);
        trainer.ComputeGradients(Images, Labels, dropout: false);
        Assert.Equal(after, net.ReadParameters());
    }

    [Theory, InlineData(true), InlineData(false)]
    public void TheTwoBackendsAgree(bool training)
    {
        float[] Run(string device, out float[] logits)
        {
            using var net = Probe(fixture[device]);
            using var trainer = new Trainer(net, seed: 5);
            trainer.ComputeGradients(Images, Labels, dropout: training);
            logits = trainer.ReadLogits(Batch);
            return trainer.ReadGradients().Concat(net.ReadParameters()).ToArray();
        }
        var cpu = Run(AcceleratorFixture.Cpu, out var cpuLogits);
        var kernels = Run(AcceleratorFixture.Kernels, out var kernelLogits);
        Numbers.AssertClose(kernelLogits, cpuLogits, "logits", 1e-5, 1e-6);
        Numbers.AssertClose(kernels, cpu, "gradients and running statistics", 1e-4, 1e-6);
    }

    [Fact]
    public void ACheckpointKeepsTheRunningStatistics()
    {
        using var folder = new TemporaryFolder();
        string path = System.IO.Path.Combine(folder.Path, "bn.safetensors");
        using var net = Probe(fixture[AcceleratorFixture.Cpu]);
        using var trainer = new Trainer(net, seed: 5);
        trainer.Train(Images, Labels, 0.01f);
        trainer.Save(path, epoch: 1, learningRate: 0.01f);

        // The count is an int64 scalar in the file, as in PyTorch's state dict.
        var count = SafeTensorsFile.Read(path).Tensors.Single(t => t.Name == "block.bn.num_batches_tracked");
        Assert.Equal("I64", count.DType);
        Assert.Empty(count.Shape);
        Assert.Equal([1L], count.ToInt64s());

        using var again = new GraphProbe(fixture[AcceleratorFixture.Cpu], seed: 99);
        using var resumed = new Trainer(again, seed: 5);
        resumed.Load(path);
        Assert.Equal(net.ReadParameters(), again.ReadParameters());
        Assert.Equal(1f, again.ReadParameters()[Tensor(again, "block.bn.num_batches_tracked").Offset]);
    }
}
