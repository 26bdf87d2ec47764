using System;
using System.IO;
using System.Linq;
using System.Threading;
using ILGPU.Runtime;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Kernels;

namespace NetGen.Tests.Training;

/// <summary>A convolution, a dense layer with dropout and eight classes: tensors for the guard to choose between, and top-5 hits that are not every image.</summary>
[Network(Channels = 2, Height = 6, Width = 6)]
public sealed partial class StepProbe
{
    [Conv(4, Kernel = 3, Pad = 1, BiasInit = 0.1f), Relu, MaxPool(2, Stride = 2)]
    public partial Layer Conv { get; }

    [Dense(16, BiasInit = 0.1f), Relu, Dropout(0.25f)]
    public partial Layer Fc1 { get; }

    [Dense(8), Softmax]
    public partial Layer Fc2 { get; }
}

/// <summary>Fashion-MNIST's images through one hidden layer with dropout: a whole run on ILGPU's CPU accelerator in seconds.</summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial class FashionProbe
{
    [Dense(24, BiasInit = 0.1f), Relu, Dropout(0.5f)]
    public partial Layer Fc1 { get; }

    [Dense(10), Softmax]
    public partial Layer Fc2 { get; }
}

/// <summary>
/// Training steps enqueued on an accelerator (<see cref="Trainer.Enqueue"/>), which read nothing
/// back until the host checks them, against the same steps taken one at a time and read back at
/// once: their summed results, a NaN's step and the weights it leaves, clipping, and every bit of
/// the weights. On ILGPU's CPU accelerator as itself (<c>ilgpu-cpu</c>) and shaped like a GPU with
/// the kernel library (<c>ilgpu-gpu</c>); on the CPU backend (<c>cpu</c>), where a step is checked
/// at once, the same API must give the same answers.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class DeviceStepTests(AcceleratorFixture fixture)
{
    private const string Gpu = "ilgpu-gpu";
    private const int Batch = 5;
    private const float Rate = 0.05f;

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(Gpu), InlineData(AcceleratorFixture.Cpu)]
    public void TotalsOfEnqueuedStepsAreTheSumsOfTheirResults(string kind)
    {
        using var device = Open(kind);
        using var queued = new StepProbe(device.Device, seed: 1);
        using var single = new StepProbe(device.Device, seed: 1);
        using var enqueuing = new Trainer(queued, seed: 2) { CheckEvery = 16 };
        using var training = new Trainer(single, seed: 2);
        Assert.Equal(kind != AcceleratorFixture.Cpu, enqueuing.DefersChecks);

        // Each step's result computed here from the losses and ranks read back after it, summed as StepTotals.Add documents.
        double lossSum = 0;
        long images = 0, top1 = 0, top5 = 0;
        for (int step = 0; step < 5; step++)
        {
            var (x, y) = BatchOf(queued, step);
            enqueuing.Enqueue(x, y, Rate);
            training.Train(x, y, Rate);
            var (_, pass) = training.PassesFor(Batch);
            float[] losses = pass.ReadLosses();
            int[] ranks = pass.ReadRanks();
            double sum = 0;
            foreach (float loss in losses)
                sum += loss;
            lossSum += sum / losses.Length * losses.Length;
            images += losses.Length;
            top1 += ranks.Count(r => r == 0);
            top5 += ranks.Count(r => r < 5);
        }

        var expected = new StepTotals(5, images, lossSum, top1, top5);
        Assert.InRange(top5, top1 + 1, images - 1); // hits and misses of both kinds, so the counts test something
        Assert.Equal(expected, enqueuing.ReadTotals());
        Assert.Equal(expected, training.ReadTotals());
        Assert.Equal(default, enqueuing.ReadTotals()); // read and reset
        Assert.Equal(5, enqueuing.Step);
        Assert.Equal(Bits(single.ReadParameters()), Bits(queued.ReadParameters()));
    }

    /// <summary>
    /// The trainer's steps before the guard ran on the device, written out with its public parts: the
    /// gradients of the next step's masks, read back; the global norm of each tensor's sums of squares
    /// (1,024 gradients at a time in double, then in order, as the guard's kernels sum); the clipped
    /// gradients written back; one launch of the optimiser. Enqueued steps, never read back until the
    /// end, must give the same bits.
    /// </summary>
    [Theory]
    [InlineData(AcceleratorFixture.Kernels, Optimizer.Sgd, false)]
    [InlineData(AcceleratorFixture.Kernels, Optimizer.Adam, true)]
    [InlineData(Gpu, Optimizer.Sgd, true)]
    [InlineData(AcceleratorFixture.Kernels, Optimizer.AdamW, false)]
    public void EnqueuedStepsGiveTheBitsOfStepsCheckedOnTheHost(string kind, Optimizer optimizer, bool clip)
    {
        using var device = Open(kind);
        using var queued = new StepProbe(device.Device, seed: 3);
        using var host = new StepProbe(device.Device, seed: 3);
        using var enqueuing = new Trainer(queued, seed: 4, optimizer) { CheckEvery = 100 };
        using var checking = new Trainer(host, seed: 4, optimizer);
        // About the first step's norm: some steps are clipped and some are not.
        float clipNorm = clip ? (float)(0.8 * Norm(host.Info, FirstGradients(host))) : 0f;
        enqueuing.ClipNorm = clipNorm;

        double norm = double.NaN;
        float[] gradients = [];
        int clipped = 0;
        for (int step = 0; step < 6; step++)
        {
            var (x, y) = BatchOf(host, step);
            enqueuing.Enqueue(x, y, Rate);

            checking.ComputeGradients(x, y, dropout: true);
            gradients = checking.ReadGradients();
            norm = Norm(host.Info, gradients);
            Assert.True(double.IsFinite(norm));
            if (clipNorm > 0 && norm > clipNorm)
            {
                float scale = (float)(clipNorm / norm);
                gradients = gradients.Select(g => g * scale).ToArray();
                checking.Gradients.CopyFromCPU(gradients);
                clipped++;
            }
            checking.Optimiser.Enqueue(checking.Gradients, Rate);
            checking.Step++;
        }

        if (clip)
            Assert.InRange(clipped, 1, 5);
        Assert.Equal(norm, enqueuing.LastGradientNorm); // read from the device, before anything else waited for the steps
        Assert.Equal(Bits(gradients), Bits(enqueuing.ReadGradients()));
        Assert.Equal(Bits(host.ReadParameters()), Bits(queued.ReadParameters()));
        var (mine, theirs) = (enqueuing.ReadOptimiserState(), checking.ReadOptimiserState());
        Assert.Equal(theirs.Steps, mine.Steps);
        Assert.Equal(Bits(theirs.First), Bits(mine.First));
        Assert.Equal(Bits(theirs.Second ?? []), Bits(mine.Second ?? []));
        Assert.Equal(6, enqueuing.ReadTotals().Steps);
    }

    /// <summary>
    /// A bad pixel in step 4 of 6 enqueued: the check finds step 4, its update and the two after it
    /// were skipped, and the weights, the momentum and the totals are those of three steps. The
    /// fault is the one the host finds in step 4's own gradients and losses, computed here from the
    /// reference network after its three steps. In <see cref="StepProbe"/> a NaN pixel stops at a
    /// ReLU, so the losses stay finite and a gradient faults; in <see cref="ConvProbe"/> an infinite
    /// one reaches the loss too, which only a step checked at once can trace to its activation.
    /// </summary>
    [Theory]
    [InlineData(AcceleratorFixture.Kernels, false), InlineData(Gpu, false), InlineData(AcceleratorFixture.Cpu, false)]
    [InlineData(AcceleratorFixture.Kernels, true), InlineData(AcceleratorFixture.Cpu, true)]
    public void ABadPixelAtStepKStopsThereWithTheWeightsOfStepKMinus1(string kind, bool lossToo)
    {
        const int Steps = 6, Faulty = 4;
        using var device = Open(kind);
        using var queued = Probe(device.Device, lossToo);
        using var reference = Probe(device.Device, lossToo);
        using var enqueuing = new Trainer(queued, seed: 6) { CheckEvery = 16 };
        using var training = new Trainer(reference, seed: 6);
        var batches = Enumerable.Range(0, Steps).Select(step => BatchOf(queued, step)).ToArray();
        batches[Faulty - 1].Images[7] = lossToo ? float.PositiveInfinity : float.NaN;
        for (int step = 0; step < Faulty - 1; step++)
            training.Train(batches[step].Images, batches[step].Labels, Rate);
        var (expected, badLoss) = HostFault(training, batches[Faulty - 1], checkedAtOnce: !enqueuing.DefersChecks);
        Assert.Equal(lossToo, !float.IsFinite(badLoss));

        var fault = Assert.Throws<NumericalFaultException>(() =>
        {
            foreach (var (x, y) in batches)
                enqueuing.Enqueue(x, y, Rate);
            enqueuing.Synchronize();
        });

        Assert.Equal((Faulty, expected.Layer), (fault.Step, fault.Layer));
        Assert.StartsWith(expected.Message, fault.Message);
        Assert.Equal(Faulty - 1, enqueuing.Step);
        Assert.Equal(Faulty - 1, enqueuing.Optimiser.Steps);
        Assert.Equal(Bits(reference.ReadParameters()), Bits(queued.ReadParameters()));
        Assert.Equal(Bits(training.ReadVelocity()), Bits(enqueuing.ReadVelocity()));
        Assert.Equal(training.ReadTotals(), enqueuing.ReadTotals()); // the steps before the fault
        if (enqueuing.DefersChecks)
        {
            string loss = lossToo ? $" Its loss is {badLoss} too; its activations were overwritten by the passes after it, so the first that is not finite cannot be named (CheckEvery = 1 keeps them)." : "";
            Assert.Equal($"{expected.Message}{loss} The 2 steps enqueued after it were not applied either, and Step is back at {Faulty - 1}.", fault.Message);
        }
        else
        {
            Assert.Equal(expected.Message, fault.Message);
        }

        // Reported, the fault is cleared: the next step is applied as the reference's is.
        var (again, labels) = batches[Faulty];
        enqueuing.Enqueue(again, labels, Rate);
        enqueuing.Synchronize();
        training.Train(again, labels, Rate);
        Assert.Equal(Bits(reference.ReadParameters()), Bits(queued.ReadParameters()));
    }

    /// <summary>
    /// A fault in the last step enqueued finds its activations intact, and is named by the first that
    /// is not finite, as a step checked at once is, on every backend: an infinite pixel through a
    /// convolution with no ReLU to stop it makes the loss NaN.
    /// </summary>
    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(Gpu), InlineData(AcceleratorFixture.Cpu)]
    public void ANaNLossInTheLastStepEnqueuedIsNamedByItsFirstActivation(string kind)
    {
        using var device = Open(kind);
        using var net = new ConvProbe(device.Device);
        GradientCheck.Randomise(net, seed: 7);
        using var trainer = new Trainer(net, seed: 8) { CheckEvery = 16 };
        var before = net.ReadParameters();
        var (x, y) = BatchOf(net, 0);
        x[3] = float.PositiveInfinity;

        var fault = Assert.Throws<NumericalFaultException>(() =>
        {
            trainer.Enqueue(x, y, Rate);
            trainer.ReadTotals();
        });

        float loss = Array.Find(trainer.PassesFor(Batch).Backward.ReadLosses(), l => !float.IsFinite(l));
        Assert.Equal(("input", 1L), (fault.Layer, fault.Step));
        Assert.Equal($"step 1: the loss is {loss}; the activation input is the first that is not finite. The step was not applied.", fault.Message);
        Assert.Equal(Bits(before), Bits(net.ReadParameters()));
        Assert.Equal(0, trainer.Step);
    }

    /// <summary>The verdict is read after <see cref="Trainer.CheckEvery"/> steps, not before: the third of three steps finds the second's fault.</summary>
    [Fact]
    public void TheVerdictIsReadEveryCheckEverySteps()
    {
        using var net = new StepProbe(fixture.Device, seed: 9);
        using var trainer = new Trainer(net, seed: 10) { CheckEvery = 3 };
        var (first, labels) = BatchOf(net, 0);
        var (bad, _) = BatchOf(net, 1);
        bad[0] = float.NaN;

        trainer.Enqueue(first, labels, Rate);
        trainer.Enqueue(bad, labels, Rate);
        Assert.Equal(2, trainer.Step); // nothing read yet
        var fault = Assert.Throws<NumericalFaultException>(() => trainer.Enqueue(first, labels, Rate));

        Assert.Equal(2, fault.Step);
        Assert.Equal(1, trainer.Step);
        Assert.Equal(1, trainer.ReadTotals().Steps);
    }

    /// <summary>
    /// A run whose steps stay on the device reads their sums at its progress updates and saves: stopped
    /// three steps into its second epoch and resumed, it ends with the weights, the momentum and the
    /// metrics (the epochs' training loss and error among them) of a run never stopped.
    /// </summary>
    [Fact]
    public void ARunOnAnAcceleratorResumedMidEpochEndsAsOneNeverStopped()
    {
        var data = TrainingRunTests.Sample(train: 640, validation: 100);
        var options = new TrainingOptions(Epochs: 2, BatchSize: 64, LearningRate: 0.05f, Seed: 3, SaveEverySteps: 3);
        using var straight = new TemporaryFolder();
        using var stopped = new TemporaryFolder();

        Checkpoint Train(string folder, bool resume, bool stop)
        {
            using var network = new FashionProbe(fixture.Device, seed: 3);
            var run = new TrainingRun(network, data, options, TrainingRunTests.MiniPreprocessing, folder);
            using var cancel = new CancellationTokenSource();
            if (stop)
                run.Progress += p =>
                {
                    if (p is { Phase: "train", Epoch: 2, Done: 3 * 64 })
                        cancel.Cancel();
                };
            var outcome = run.Run(resume, cancel.Token);
            Assert.Equal(!stop, outcome.Completed);
            Assert.All(outcome.History, r => Assert.True(r.TrainLoss > 0 && r.TrainLoss < 10, $"epoch {r.Epoch}: training loss {r.TrainLoss}"));
            return Checkpoint.Load(Path.Combine(folder, TrainingRun.LastFile), network.Info);
        }

        var expected = Train(straight.Path, resume: false, stop: false);
        Assert.Equal(13, Train(stopped.Path, resume: false, stop: true).State.Step);
        var resumed = Train(stopped.Path, resume: true, stop: false);

        Assert.Equal(20, resumed.State.Step);
        Assert.Equal(Bits(expected.Parameters), Bits(resumed.Parameters));
        Assert.Equal(Bits(expected.Optimiser!.First), Bits(resumed.Optimiser!.First));
        string[] Metrics(string folder) => File.ReadAllLines(Path.Combine(folder, TrainingRun.MetricsFile)).Select(l => string.Join(',', l.Split(',')[..^2])).ToArray();
        Assert.Equal(3, Metrics(straight.Path).Length);
        Assert.Equal(Metrics(straight.Path), Metrics(stopped.Path));
    }

    /// <summary>
    /// The fault the host finds in a step from the gradients and losses it reads back, for the
    /// trainer's next step on <paramref name="batch"/> (its masks, no update): a non-finite loss is
    /// named by the first activation that is not finite when the step is <paramref name="checkedAtOnce"/>
    /// (its activations are at hand); otherwise the gradient tensor nearest the loss that is not
    /// finite names it (<see cref="GradientGuard.Check"/>), and a bad loss with every gradient finite is the loss's.
    /// </summary>
    private static (NumericalFaultException Fault, float BadLoss) HostFault(Trainer trainer, (float[] Images, int[] Labels) batch, bool checkedAtOnce)
    {
        long step = trainer.Step + 1;
        trainer.ComputeGradients(batch.Images, batch.Labels, dropout: true);
        var (forward, pass) = trainer.PassesFor(batch.Labels.Length);
        float badLoss = Array.Find(pass.ReadLosses(), l => !float.IsFinite(l));
        string activation = forward.Activations.First(name => forward.Read(name).Any(v => !float.IsFinite(v)));
        if (!float.IsFinite(badLoss) && checkedAtOnce)
            return (new NumericalFaultException(step, activation, $"step {step}: the loss is {badLoss}; the activation {activation} is the first that is not finite. The step was not applied."), badLoss);
        var gradients = trainer.ReadGradients();
        var fault = Record.Exception(() => GradientGuard.Check(trainer.Network.Info, GradientGuard.SumsOfSquares(trainer.Network.Info, gradients), step, () => gradients));
        if (fault is NumericalFaultException found)
            return (found, badLoss);
        Assert.False(float.IsFinite(badLoss), "the batch meant to fault gave finite losses and gradients");
        return (new NumericalFaultException(step, "loss", $"step {step}: the loss is {badLoss}; every gradient is finite"), badLoss);
    }

    /// <summary>Seeded the same every time: <see cref="ConvProbe"/> when a bad pixel should reach the loss, else <see cref="StepProbe"/>.</summary>
    private static Network Probe(Device device, bool convolutionOnly)
    {
        if (!convolutionOnly)
            return new StepProbe(device, seed: 5);
        var net = new ConvProbe(device);
        GradientCheck.Randomise(net, seed: 5);
        return net;
    }

    /// <summary>A step's images and labels: uniform inputs, and labels of every class.</summary>
    private static (float[] Images, int[] Labels) BatchOf(Network net, int step) =>
        (Numbers.Uniform(Batch * net.Info.Input.Size, 100 + step, 2f), GradientCheck.Labels(Batch, net.Info.Output.Size, 200 + step));

    /// <summary>The first step's gradients, from a trainer of their own that leaves the network as it was.</summary>
    private static float[] FirstGradients(Network net)
    {
        using var trainer = new Trainer(net, seed: 4);
        var (x, y) = BatchOf(net, 0);
        trainer.ComputeGradients(x, y, dropout: true);
        return trainer.ReadGradients();
    }

    /// <summary>The global L2 norm as the guard's kernels sum it: squares in double over each tensor's chunks of 1,024 in order, the chunks in order, the tensors in order.</summary>
    private static double Norm(NetworkInfo info, float[] gradients)
    {
        double total = 0;
        foreach (var tensor in info.Parameters)
        {
            double sum = 0;
            for (long start = tensor.Offset; start < tensor.Offset + tensor.Count; start += 1024)
            {
                double chunk = 0;
                for (long i = start; i < Math.Min(start + 1024, tensor.Offset + tensor.Count); i++)
                    chunk += (double)gradients[i] * gradients[i];
                sum += chunk;
            }
            total += sum;
        }
        return Math.Sqrt(total);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>The fixture's device of <paramref name="kind"/>, or a GPU-shaped one of this test's own.</summary>
    private OpenedDevice Open(string kind) => kind == Gpu ? new OpenedDevice(Device.Open(Gpu), true) : new OpenedDevice(fixture[kind], false);

    private readonly record struct OpenedDevice(Device Device, bool Owned) : IDisposable
    {
        public void Dispose()
        {
            if (Owned)
                Device.Dispose();
        }
    }
}
