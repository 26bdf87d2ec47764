using System;
using System.IO;
using System.Linq;
using System.Threading;
using NetGen.Data;
using NetGen.Networks;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

/// <summary>Whole training runs on the shipped Fashion-MNIST sample, on the CPU backend.</summary>
[Collection(AcceleratorCollection.Name)]
public class TrainingRunTests(AcceleratorFixture fixture)
{
    /// <summary>MiniAlexNet's declared preprocessing, as <c>netgen train</c> uses it.</summary>
    internal static readonly Preprocessing MiniPreprocessing = Preprocessing.For(NetworkCatalog.Find(MiniAlexNet.Description.Name)!.Defaults, MiniAlexNet.Description.Input);

    /// <summary>The first <paramref name="train"/> and <paramref name="validation"/> images of the sample.</summary>
    internal static DataSplits Sample(int train, int validation)
    {
        var all = DataSplits.Open(TrainCommand.Sample, channels: 1);
        return new DataSplits(new DatasetSubset(all.Train, Enumerable.Range(0, train).ToArray(), "sample train"),
            new DatasetSubset(all.Validation, Enumerable.Range(0, validation).ToArray(), "sample validation"));
    }

    [Fact]
    public void ThreeEpochsOnTheShippedSampleLiftAccuracyWellAboveChance()
    {
        using var folder = new TemporaryFolder();
        var data = DataSplits.Open(TrainCommand.Sample, channels: 1);
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 1);
        var options = new TrainingOptions(Epochs: 3, BatchSize: 64, LearningRate: 0.02f, Patience: 1, Seed: 1);

        var outcome = new TrainingRun(network, data, options, MiniPreprocessing, folder.Path).Run();

        Assert.True(outcome.Completed);
        Assert.Equal([1, 2, 3], outcome.History.Select(r => r.Epoch));
        var last = outcome.History[^1];
        // Ten balanced classes: chance is 90% error. Three epochs over 3,000 images reach about 25%.
        Assert.True(last.ValidationTop1Error < 0.40, $"validation top-1 error {last.ValidationTop1Error:P1} after 3 epochs; chance is 90%");
        Assert.True(last.TrainLoss < outcome.History[0].TrainLoss, "the training loss should fall");
        foreach (string file in new[] { TrainingRun.LastFile, TrainingRun.BestFile, TrainingRun.MetricsFile, DataStatistics.FileName })
            Assert.True(File.Exists(Path.Combine(folder.Path, file)), $"{file} should be written");
        var lines = File.ReadAllLines(Path.Combine(folder.Path, TrainingRun.MetricsFile));
        Assert.Equal(EpochRecord.CsvHeader, lines[0]);
        Assert.Equal(4, lines.Length);

        // The best checkpoint holds the weights of the epoch with the lowest validation error: measured again, it gives that error.
        var best = outcome.Best!;
        network.WriteParameters(Checkpoint.Load(Path.Combine(folder.Path, TrainingRun.BestFile), network.Info).Parameters);
        using var pass = network.CreateForwardPass(100);
        var statistics = DataStatistics.Load(Path.Combine(folder.Path, DataStatistics.FileName));
        var again = Evaluator.Evaluate(pass, data.Validation, new Augmenter(statistics, network.Info.Input), tenCrop: false);
        Assert.Equal(best.ValidationTop1Error, again.Top1Error, 9);
        Assert.Equal(IdxDataset.FashionMnistClasses, statistics.Classes);
    }

    [Theory]
    [InlineData(Optimizer.Sgd, false)]
    [InlineData(Optimizer.Sgd, true)]
    [InlineData(Optimizer.AdamW, false)]
    public void ARunResumedAtAnEpochBoundaryOrMidEpochEndsWithTheSameWeights(Optimizer optimizer, bool nesterov)
    {
        var data = Sample(train: 640, validation: 200);
        var options = new TrainingOptions(Epochs: 2, BatchSize: 64, LearningRate: optimizer == Optimizer.Sgd ? 0.02f : 0.001f, Patience: 1, Seed: 3, LabelSmoothing: 0.1f,
            Optimizer: optimizer, Nesterov: nesterov);
        using var straight = new TemporaryFolder();
        using var boundary = new TemporaryFolder();
        using var midEpoch = new TemporaryFolder();

        Checkpoint Train(string folder, int epochs, bool resume, int stopAfterSteps = 0)
        {
            using var network = new MiniAlexNet(fixture.CpuDevice, seed: 3);
            var run = new TrainingRun(network, data, options with { Epochs = epochs }, MiniPreprocessing, folder);
            using var cancel = new CancellationTokenSource();
            int steps = 0;
            if (stopAfterSteps > 0)
                run.Progress += p =>
                {
                    if (p.Phase == "train" && ++steps == stopAfterSteps)
                        cancel.Cancel();
                };
            var outcome = run.Run(resume, cancel.Token);
            Assert.Equal(stopAfterSteps == 0, outcome.Completed);
            return Checkpoint.Load(Path.Combine(folder, TrainingRun.LastFile), network.Info);
        }

        var expected = Train(straight.Path, 2, resume: false);
        Train(boundary.Path, 1, resume: false);
        var resumedAtBoundary = Train(boundary.Path, 2, resume: true);
        Train(midEpoch.Path, 2, resume: false, stopAfterSteps: 13); // epoch 1 has 10 steps: stop 3 steps into epoch 2
        var resumedMidEpoch = Train(midEpoch.Path, 2, resume: true);

        foreach (var resumed in new[] { resumedAtBoundary, resumedMidEpoch })
        {
            Assert.Equal(expected.Parameters.Select(BitConverter.SingleToInt32Bits), resumed.Parameters.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(optimizer, resumed.Optimiser!.Kind);
            Assert.Equal(expected.Optimiser!.Steps, resumed.Optimiser.Steps);
            Assert.Equal(expected.Optimiser.First.Select(BitConverter.SingleToInt32Bits), resumed.Optimiser.First.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expected.Optimiser.Second?.Select(BitConverter.SingleToInt32Bits), resumed.Optimiser.Second?.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(20, expected.Optimiser!.Steps);
        var straightMetrics = File.ReadAllLines(Path.Combine(straight.Path, TrainingRun.MetricsFile)).Select(WithoutTimes);
        Assert.Equal(straightMetrics, File.ReadAllLines(Path.Combine(midEpoch.Path, TrainingRun.MetricsFile)).Select(WithoutTimes));

        // Asked outright for another optimiser, a resumed run refuses rather than continue with its own.
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 3);
        var other = optimizer == Optimizer.Adam ? Optimizer.Sgd : Optimizer.Adam;
        var run = new TrainingRun(network, data, options with { Epochs = 3 }, MiniPreprocessing, straight.Path) { RequiredOptimizer = other };
        var e = Assert.Throws<InvalidDataException>(() => run.Run(resume: true));
        Assert.Contains($"the run trains with {OptimiserState.Name(optimizer)}, not {OptimiserState.Name(other)}", e.Message);
    }

    [Fact]
    public void ADirectoryHoldingARunIsNotOverwrittenAndResumingNeedsACheckpoint()
    {
        var data = Sample(train: 128, validation: 20);
        using var folder = new TemporaryFolder();
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 1);
        var options = new TrainingOptions(Epochs: 1, BatchSize: 64, Seed: 1);
        var missing = Assert.Throws<FileNotFoundException>(() => new TrainingRun(network, data, options, MiniPreprocessing, folder.Path).Run(resume: true));
        Assert.Contains("no checkpoint to resume from", missing.Message);
        new TrainingRun(network, data, options, MiniPreprocessing, folder.Path).Run();
        var again = Assert.Throws<IOException>(() => new TrainingRun(network, data, options, MiniPreprocessing, folder.Path).Run());
        Assert.Contains("already holds a run", again.Message);
    }

    [Fact]
    public void TheScheduleDividesTheRateAfterPatienceEpochsWithoutAnImprovement()
    {
        var schedule = new PlateauSchedule(Patience: 2, Threshold: 0.01);
        bool drop;
        (schedule, drop) = schedule.Observe(0.30);
        Assert.False(drop);
        (schedule, drop) = schedule.Observe(0.295); // better, but by less than the threshold: no improvement
        Assert.False(drop);
        (schedule, drop) = schedule.Observe(0.31);
        Assert.True(drop);                          // two epochs without beating 0.30 - 0.01
        Assert.Equal((0.30, 0, 1), (schedule.BestError, schedule.EpochsSinceBest, schedule.Drops));
        (schedule, drop) = schedule.Observe(0.20);
        Assert.False(drop);
        Assert.Equal(0.20, schedule.BestError);
    }

    [Fact]
    public void NoDropBeforeTheWarmupEnds()
    {
        var schedule = new PlateauSchedule(Patience: 2, Warmup: 4);
        var drops = new System.Collections.Generic.List<bool>();
        // Epoch 1 sets the best; 2 and 3 miss it (a drop without the warm-up), 4 misses it too and
        // ends the warm-up: the drop comes there. 5 and 6 miss again: a second drop after two more.
        foreach (double error in new[] { 0.30, 0.31, 0.32, 0.33, 0.34, 0.35 })
        {
            bool drop;
            (schedule, drop) = schedule.Observe(error);
            drops.Add(drop);
        }
        Assert.Equal([false, false, false, true, false, true], drops);
        Assert.Equal((2, 6), (schedule.Drops, schedule.Epochs));
    }

    /// <summary>A metrics line without its last two fields (seconds and images/s), which depend on the machine.</summary>
    private static string WithoutTimes(string line) => string.Join(',', line.Split(',')[..^2]);
}
