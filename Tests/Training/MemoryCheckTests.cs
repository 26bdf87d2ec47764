using System;
using System.IO;
using NetGen.Data;
using NetGen.Networks;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

/// <summary>A batch too large for the device fails before training starts, with the bytes needed and the bytes available.</summary>
[Collection(AcceleratorCollection.Name)]
public class MemoryCheckTests(AcceleratorFixture fixture)
{
    [Fact]
    public void MiniAlexNetsNeedsAddUpByHand()
    {
        // Per image, every operation's output (README's shapes): conv1, its ReLU and LRN 32x28x28, its
        // pool 32x14x14; conv2 likewise 64x14x14 three times, pool 64x7x7; conv3 and conv4 with ReLU
        // 96x7x7 twice each; conv5 with ReLU 64x7x7 twice (no pool); fc6 and fc7 512 three
        // times each (dense, ReLU, dropout); fc8 10 twice (dense, softmax); and the 28x28 input.
        long perImage = 784 + 3 * 32 * 28 * 28 + 32 * 14 * 14 + 3 * 64 * 14 * 14 + 64 * 7 * 7
            + 4 * 96 * 7 * 7 + 2 * 64 * 7 * 7 + 6 * 512 + 2 * 10;
        var (optimiser, activations) = MemoryCheck.Needed(MiniAlexNet.Description, batchSize: 128);
        Assert.Equal(2 * 4 * MiniAlexNet.Description.ParameterCount, optimiser);
        Assert.Equal(2 * 4 * 128 * perImage, activations);
    }

    [Fact]
    public void ABatchTooLargeFailsBeforeTrainingWithBothNumbers()
    {
        using var folder = new TemporaryFolder();
        string directory = Path.Combine(folder.Path, "run");
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 1);
        const int batch = 200_000_000;
        var (optimiser, activations) = MemoryCheck.Needed(network.Info, batch);
        var run = new TrainingRun(network, DataSplits.Open(TrainCommand.Sample, 1), new TrainingOptions(BatchSize: batch),
            TrainingRunTests.MiniPreprocessing, directory);

        var error = Assert.Throws<InsufficientMemoryException>(() => run.Run());

        Assert.StartsWith($"MiniAlexNet at batch 200,000,000 needs {optimiser + activations:N0} bytes on ", error.Message);
        // What is available moves from moment to moment on a shared machine: it is a number, and less than what is needed.
        var available = System.Text.RegularExpressions.Regex.Match(error.Message, @"and it has ([\d,]+) bytes available");
        Assert.True(available.Success, error.Message);
        long bytes = long.Parse(available.Groups[1].Value.Replace(",", ""));
        Assert.InRange(bytes, 1, optimiser + activations - 1);
        Assert.False(Directory.Exists(directory), "nothing should be written before the check");
    }
}
