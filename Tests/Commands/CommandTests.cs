using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;
using StbImageSharp;

namespace NetGen.Tests.Commands;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    /// <summary>Tests that redirect the process's standard output, one at a time.</summary>
    public const string Name = "Console";
}

/// <summary>The netgen verbs a person runs after training, on a run trained here on the shipped sample.</summary>
[Collection(ConsoleCollection.Name)]
public class CommandTests
{
    /// <summary>Runs the command line's entry point and returns its exit code and standard output.</summary>
    internal static (int Code, string Output) Netgen(params string[] args)
    {
        var (code, output, _) = CommandLineTests.Netgen(args);
        return (code, output);
    }

    [Fact]
    public void TrainThenEvalClassifyFiltersAndSimilarWorkOnTheRunsCheckpoint()
    {
        using var folder = new TemporaryFolder();
        string run = Path.Combine(folder.Path, "run"), sample = TrainCommand.Sample;
        var (code, output) = Netgen("train", "minialexnet", "--data", sample, "--epochs", "2", "--batch", "64", "--device", "cpu", "--out", run);
        Assert.True(code == 0, output);
        Assert.Contains("epoch 2:", output);
        Assert.True(File.Exists(Path.Combine(run, "curves.png")));
        var curves = ImageResult.FromMemory(File.ReadAllBytes(Path.Combine(run, "curves.png")));
        Assert.Equal((1400, 560), (curves.Width, curves.Height));
        string weights = Path.Combine(run, "best.safetensors");

        (code, output) = Netgen("eval", "minialexnet", "--weights", weights, "--data", sample, "--device", "cpu", "--json");
        Assert.Equal(0, code);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal(1000, json.RootElement.GetProperty("images").GetInt32());
            double top1 = json.RootElement.GetProperty("top1_accuracy").GetDouble(), top5 = json.RootElement.GetProperty("top5_accuracy").GetDouble();
            Assert.InRange(top1, 0.5, 1.0);  // chance is 0.1
            Assert.InRange(top5, top1, 1.0);
        }

        (code, output) = Netgen("classify", "minialexnet", "--weights", weights, "--data", sample, "--device", "cpu", "val:0", "val:1");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length); // per image: its name and five classes
        Assert.Contains("Ankle boot", lines[0]); // the test set's first image is an ankle boot
        Assert.All(lines.Skip(1).Take(5), line => Assert.Contains(line.Trim().Split("  ", 2)[1].Trim(), NetGen.Data.IdxDataset.FashionMnistClasses));

        string filters = Path.Combine(folder.Path, "conv1.png");
        (code, _) = Netgen("filters", "minialexnet", "--weights", weights, "--out", filters);
        Assert.Equal(0, code);
        var grid = ImageResult.FromMemory(File.ReadAllBytes(filters), ColorComponents.RedGreenBlue);
        // 32 grey 3x3 kernels, 16 per column, scaled 14x: two 4x4 blocks of 42-pixel tiles with 4-pixel gaps, 24 between the blocks.
        Assert.Equal((2 * (4 * 46 - 4) + 24 + 8, 4 * 46 - 4 + 8), (grid.Width, grid.Height));

        string similar = Path.Combine(folder.Path, "similar.png");
        (code, output) = Netgen("similar", "minialexnet", "--weights", weights, "--data", sample, "--device", "cpu", "train:5", "--k", "4", "--out", similar);
        Assert.Equal(0, code);
        var neighbours = output.Split('\n').Where(l => l.TrimStart().Length > 0 && char.IsDigit(l.TrimStart()[0])).ToArray();
        Assert.Equal(4, neighbours.Length);
        // The query is a training image: its own features are at distance 0, so it comes first.
        Assert.Contains("train:5 ", neighbours[0]);
        Assert.StartsWith("0.000", neighbours[0].Trim());
        Assert.True(File.Exists(similar));
    }

    [Fact]
    public void TrainTakesTheOptimiserAndAugmentationFromTheCommandLine()
    {
        using var folder = new TemporaryFolder();
        string run = Path.Combine(folder.Path, "run");
        var (code, output) = Netgen("train", "minialexnet", "--data", TrainCommand.Sample, "--epochs", "1", "--batch", "64", "--device", "cpu",
            "--momentum", "0.8", "--weight-decay", "0", "--pad", "2", "--flip", "on", "--out", run);
        Assert.True(code == 0, output);
        Assert.Contains("momentum 0.8, weight decay 0,", output);
        Assert.Contains("crops padded by 2, flips on", output);
        // MiniAlexNet declares no padding and no flips: the run keeps what the command line chose.
        var kept = NetGen.Data.DataStatistics.Load(Path.Combine(run, NetGen.Data.DataStatistics.FileName)).Preprocessing;
        Assert.Equal((2, true), (kept.Pad, kept.Flip));

        Assert.Equal(2, Netgen("train", "minialexnet", "--flip", "maybe", "--out", Path.Combine(folder.Path, "other")).Code);
        Assert.Equal(2, Netgen("train", "minialexnet", "--weight-decay", "-1", "--out", Path.Combine(folder.Path, "other")).Code);
    }

    [Fact]
    public void EvalWithoutTheRunsStatisticsSaysWhatIsMissing()
    {
        using var folder = new TemporaryFolder();
        string weights = Path.Combine(folder.Path, "w.safetensors");
        Assert.Equal(0, Netgen("init", "minialexnet", "--seed", "1", "--out", weights, "--device", "cpu").Code);
        var (code, _, error) = CommandLineTests.Netgen("eval", "minialexnet", "--weights", weights, "--data", TrainCommand.Sample, "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("data.safetensors", error);
        Assert.Contains("no data statistics", error);
    }
}
