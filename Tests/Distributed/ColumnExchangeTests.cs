using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using NetGen.Distributed;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Kernels;
using NetGen.Tests.Partitioning;

namespace NetGen.Tests.Distributed;

/// <summary>
/// <see cref="MpiColumnExchange"/> against the in-process <see cref="ColumnExchange"/>, with the
/// ranks as threads of this process (<see cref="ThreadRanks"/>): the same bits from the exchange
/// itself and from whole steps and training, every rank seeing the whole network, each rank's
/// column sending what the plan lists for its device, and a failing column stopping the others.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class ColumnExchangeTests(AcceleratorFixture fixture)
{
    /// <summary>Three columns, whose parts are of such different sizes that their sum depends on its order.</summary>
    [Fact]
    public void GathersAndReductionsOverThreeRanksGiveTheInProcessBits()
    {
        const int Columns = 3, Batch = 4, PerImage = 37;
        var slices = Enumerable.Range(0, Columns).Select(c => Numbers.Uniform(Batch * PerImage, 1 + c)).ToArray();
        var parts = Enumerable.Range(0, Columns).Select(c => Numbers.Uniform(Batch * Columns * PerImage, 11 + c, scale: MathF.Pow(1e4f, c))).ToArray();

        var inProcess = new ColumnExchange(Columns);
        var expected = Exchange(Columns, _ => inProcess, slices, parts, Batch, PerImage);
        var ranks = ThreadRanks.Start(Columns);
        var exchanges = ranks.Select(r => new MpiColumnExchange(r)).ToArray();
        var actual = Exchange(Columns, c => exchanges[c], slices, parts, Batch, PerImage);

        for (int c = 0; c < Columns; c++)
        {
            Assert.Equal(expected.Gathered[c], actual.Gathered[c]);
            Assert.Equal(expected.Reduced[c], actual.Reduced[c]);
            for (int n = 0; n < Batch; n++)
                for (int d = 0; d < Columns; d++)
                    Assert.Equal(slices[d].AsSpan(n * PerImage, PerImage), actual.Gathered[c].AsSpan((n * Columns + d) * PerImage, PerImage));
        }
        // Column order, which the other order would not give: the test would see a library's order.
        int at = (1 * Columns + 2) * PerImage; // image 1, column 2's slice
        Assert.Equal((parts[0][at] + parts[1][at]) + parts[2][at], actual.Reduced[2][PerImage]);
        Assert.Contains(Enumerable.Range(0, Batch * PerImage), i =>
        {
            int w = (i / PerImage * Columns + 2) * PerImage + i % PerImage;
            return (parts[2][w] + parts[1][w]) + parts[0][w] != actual.Reduced[2][i];
        });
        Assert.Equal(inProcess.ForwardBytes, exchanges.Sum(e => e.ForwardBytes));
        Assert.Equal(inProcess.BackwardBytes, exchanges.Sum(e => e.BackwardBytes));
        Assert.All(exchanges, e => Assert.Equal((Columns - 1) * Batch * PerImage * sizeof(float), e.ForwardBytes));
    }

    [Theory, InlineData(true), InlineData(false)]
    public void MiniAlexNetStepOverTwoRanksGivesTheInProcessBits(bool dropout)
    {
        var images = Numbers.Uniform(8 * 28 * 28, 11, scale: 2f);
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 9];
        var (expected, ranks) = Both(d => new MiniAlexNet(d, seed: 3), Optimizer.Sgd, labels.Length, t => t.ComputeGradients(images, labels, dropout));
        var plan = MiniAlexNet.Partition;
        for (int r = 0; r < ranks.Length; r++)
        {
            AssertSame(expected, ranks[r], $"rank {r}");
            Assert.Equal(labels.Length * plan.BytesSentPerImage(r, "forward"), ranks[r].ForwardBytes);
            Assert.Equal(labels.Length * plan.BytesSentPerImage(r, "backward"), ranks[r].BackwardBytes);
        }
        Assert.Equal(expected.ForwardBytes, ranks.Sum(r => r.ForwardBytes));
        Assert.Equal(expected.BackwardBytes, ranks.Sum(r => r.BackwardBytes));
    }

    /// <summary>Batch normalisation's running statistics, residual adds and a last layer every device computes whole, in a training step.</summary>
    [Fact]
    public void BatchNormAndResidualsOverTwoRanksGiveTheInProcessBits()
    {
        var images = Numbers.Uniform(4 * 2 * 6 * 6, 21, scale: 2f);
        int[] labels = [0, 2, 1, 2];
        var (expected, ranks) = Both(d => new GraphColumnsProbe(d, seed: 4), Optimizer.Sgd, labels.Length, t => t.ComputeGradients(images, labels));
        var running = GraphColumnsProbe.Description.Parameters.First(p => p.Name.EndsWith(".running_mean", StringComparison.Ordinal));
        using var untouched = new GraphColumnsProbe(fixture.CpuDevice, seed: 4);
        Assert.NotEqual(untouched.ReadParameters().AsSpan((int)running.Offset, (int)running.Count).ToArray(),
            expected.Parameters.AsSpan((int)running.Offset, (int)running.Count).ToArray()); // the step moved them
        for (int r = 0; r < ranks.Length; r++)
            AssertSame(expected, ranks[r], $"rank {r}");
    }

    /// <summary>Adam's updates of a network whose last layer every device holds whole: weights and both moments.</summary>
    [Fact]
    public void TrainingOverTwoRanksEndsWithTheInProcessWeightsAndMoments()
    {
        var images = Numbers.Uniform(6 * 28 * 28, 6);
        int[] labels = [0, 1, 2, 2, 1, 0];
        var (expected, ranks) = Both(d => new MiniAlexNet3(d, seed: 2), Optimizer.Adam, labels.Length, t =>
        {
            t.Train(images, labels, 0.001f);
            return t.Train(images, labels, 0.002f);
        });
        using var untrained = new MiniAlexNet3(fixture.CpuDevice, seed: 2);
        Assert.NotEqual(untrained.ReadParameters(), expected.Parameters);
        for (int r = 0; r < ranks.Length; r++)
        {
            AssertSame(expected, ranks[r], $"rank {r}");
            Assert.Equal(expected.State.First, ranks[r].State.First);
            Assert.Equal(expected.State.Second, ranks[r].State.Second);
            Assert.Equal(2, ranks[r].State.Steps);
        }
    }

    [Fact]
    public void AColumnThatFailsStopsTheOtherRank()
    {
        var images = Numbers.Uniform(2 * 28 * 28, 3);
        var ranks = ThreadRanks.Start(2);
        var errors = new Exception?[2];
        ThreadRanks.Run(2, r =>
        {
            using var device = Device.Open("cpu");
            using var network = new MiniAlexNet(device, seed: 1);
            using var trainer = new PartitionedTrainer(network, new MpiColumnExchange(ranks[r]));
            // Rank 1's labels are out of range: its column stops before the first gather, where rank 0 waits for it.
            errors[r] = Record.Exception(() => trainer.ComputeGradients(images, r == 0 ? [1, 2] : [1, 10]));
        });
        Assert.IsType<OperationCanceledException>(errors[0]);
        Assert.IsAssignableFrom<ArgumentException>(errors[1]);
        Assert.StartsWith("netgen: rank 1: column 1 of 2 failed, which ends the job: ", ranks[0].AbortMessage);
    }

    [Fact]
    public void AJobOfOneRankOrOfTheWrongSizeIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new MpiColumnExchange(SingleProcess.Instance));
        Assert.Contains("at least 2; this one (one process) has 1", e.Message);
        using var network = new MiniAlexNet(fixture.CpuDevice);
        e = Assert.Throws<ArgumentException>(() => new PartitionedTrainer(network, new MpiColumnExchange(ThreadRanks.Start(3)[0])));
        Assert.Contains("splits over 2 devices, one per column, not 3", e.Message);
    }

    [Fact]
    public void OneProcessGathersAndSendsToItself()
    {
        float[] values = [1f, -2f, 3.5f], received = new float[3];
        SingleProcess.Instance.AllGather(values, received);
        Assert.Equal(values, received);
        Array.Clear(received);
        SingleProcess.Instance.AllToAll(values, received);
        Assert.Equal(values, received);
        Assert.Throws<ArgumentException>(() => SingleProcess.Instance.AllGather(values, new float[4]));
    }

    private sealed record Outcome(StepResult Result, float[] Logits, float[] Gradients, float[] Parameters, OptimiserState State, long ForwardBytes, long BackwardBytes)
    {
        /// <summary>What a trainer holds after its steps; under MPI every rank must read it, as its reads are collectives.</summary>
        public static Outcome Of(PartitionedTrainer trainer, StepResult result, int batch) => new(result, trainer.ReadLogits(batch), trainer.ReadGradients(),
            trainer.Network.ReadParameters(), trainer.ReadOptimiserState(), trainer.Exchange.ForwardBytes, trainer.Exchange.BackwardBytes);
    }

    /// <summary>The steps on two in-process devices, and on two ranks (threads here, each with its own network and devices).</summary>
    private (Outcome InProcess, Outcome[] Ranks) Both(Func<Device, Network> create, Optimizer optimizer, int batch, Func<PartitionedTrainer, StepResult> steps)
    {
        Outcome expected;
        using (var network = create(fixture.CpuDevice))
        using (var trainer = new PartitionedTrainer(network, devices: 2, seed: 7, optimizer))
            expected = Outcome.Of(trainer, steps(trainer), batch);
        var ranks = ThreadRanks.Start(2);
        var outcomes = new Outcome[2];
        ThreadRanks.Run(2, r =>
        {
            using var device = Device.Open("cpu");
            using var network = create(device);
            using var trainer = new PartitionedTrainer(network, new MpiColumnExchange(ranks[r]), seed: 7, optimizer);
            outcomes[r] = Outcome.Of(trainer, steps(trainer), batch);
        });
        return (expected, outcomes);
    }

    private static void AssertSame(Outcome expected, Outcome actual, string who)
    {
        Assert.True(expected.Result.Loss == actual.Result.Loss, $"{who}: loss {actual.Result.Loss:R}, in-process {expected.Result.Loss:R}");
        Assert.Equal((expected.Result.Top1, expected.Result.Top5), (actual.Result.Top1, actual.Result.Top5));
        Assert.Equal(expected.Logits, actual.Logits);
        Assert.Equal(expected.Gradients, actual.Gradients);
        Assert.Equal(expected.Parameters, actual.Parameters);
    }

    /// <summary>Each column gathers its slice and reduces its parts through the exchange it is given, on a thread of its own.</summary>
    private (float[][] Gathered, float[][] Reduced) Exchange(int columns, Func<int, IColumnExchange> exchange, float[][] slices, float[][] parts, int batch, int perImage)
    {
        var accelerator = fixture.CpuDevice.Accelerator;
        var gathered = new float[columns][];
        var reduced = new float[columns][];
        ThreadRanks.Run(columns, c =>
        {
            using var own = accelerator.Allocate1D(slices[c]);
            using var all = accelerator.Allocate1D<float>((long)batch * columns * perImage);
            using var part = accelerator.Allocate1D(parts[c]);
            using var sum = accelerator.Allocate1D<float>((long)batch * perImage);
            exchange(c).Gather(c, own.View, all.View, perImage, batch);
            exchange(c).Reduce(c, part.View, sum.View, perImage, batch);
            gathered[c] = all.GetAsArray1D();
            reduced[c] = sum.GetAsArray1D();
        });
        return (gathered, reduced);
    }
}
