using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;
using NetGen.CommandLine;
using NetGen.Data;
using NetGen.Networks;
using NetGen.Tests.Commands;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

/// <summary>Logits written straight into the loss: one input of 1, weights 0, the biases are the logits.</summary>
[Network(Channels = 1, Height = 1, Width = 1)]
public sealed partial class RankProbe
{
    [Dense(10)]
    public partial Layer Fc { get; }
}

/// <summary>As <see cref="RankProbe"/>, split over two columns, for the partitioned trainer's loss.</summary>
[Network(Channels = 1, Height = 1, Width = 1, Columns = 2)]
public sealed partial class RankColumnsProbe
{
    [Dense(4)]
    public partial Layer Hidden { get; }

    [Dense(10)]
    public partial Layer Fc { get; }
}

/// <summary>
/// NetGen's one ranking rule (<see cref="Ranking"/>) against PyTorch's on tied, NaN and infinite logits
/// (Fixtures/torch_topk_ties.json, written by benchmarks/reference/torch_topk_ties.py), on every path that ranks:
/// the loss of both backends and of the split over two devices, the evaluator, <c>eval --json</c> and <c>classify</c>.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class RankingTests(AcceleratorFixture fixture)
{
    private sealed record Case(float[] Logits, int Label, int[] Sorted1, bool Hit1, int[] Sorted5, bool Hit5, int[] Topk1, bool TopkHit1, int[] Topk5, bool TopkHit5, bool Tie1, bool Tie5);

    private static (JsonElement Root, Case[] Cases) Fixture([CallerFilePath] string here = "")
    {
        string path = Path.Combine(Path.GetDirectoryName(here)!, "Fixtures", "torch_topk_ties.json");
        var root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var cases = root.GetProperty("cases").EnumerateArray().Select(c =>
        {
            var logits = c.GetProperty("logits").EnumerateArray().Select(v => float.Parse(v.GetString()!, CultureInfo.InvariantCulture)).ToArray();
            JsonElement t1 = c.GetProperty("top1"), t5 = c.GetProperty("top5");
            return new Case(logits, c.GetProperty("label").GetInt32(),
                Ints(t1.GetProperty("sorted")), t1.GetProperty("sorted_hit").GetBoolean(), Ints(t5.GetProperty("sorted")), t5.GetProperty("sorted_hit").GetBoolean(),
                Ints(t1.GetProperty("topk")), t1.GetProperty("topk_hit").GetBoolean(), Ints(t5.GetProperty("topk")), t5.GetProperty("topk_hit").GetBoolean(),
                t1.GetProperty("boundary_tie").GetBoolean(), t5.GetProperty("boundary_tie").GetBoolean());
        }).ToArray();
        return (root, cases);
    }

    [Fact]
    public void RankingIsTorchsStableDescendingSortAndPicksTopksClassesWhereTheyAreDetermined()
    {
        var (root, cases) = Fixture();
        Assert.True(root.GetProperty("facts").GetProperty("nan_is_largest").GetBoolean());
        Assert.Equal(78, cases.Length);
        int hit1 = 0, hit5 = 0;
        foreach (var c in cases)
        {
            string row = $"[{string.Join(", ", c.Logits)}] label {c.Label}";
            Assert.True(c.Sorted1.SequenceEqual(Ranking.Top(c.Logits, 1)), row);
            Assert.True(c.Sorted5.SequenceEqual(Ranking.Top(c.Logits, 5)), row);
            Assert.True(c.Sorted5.SequenceEqual(Ranking.Top(c.Logits.Select(v => (double)v).ToArray(), 5)), row);
            int rank = Ranking.RankOf(c.Logits, c.Label);
            Assert.Equal(rank, Ranking.RankOf(c.Logits.Select(v => (double)v).ToArray(), c.Label));
            Assert.True(c.Hit1 == rank < 1, row);
            Assert.True(c.Hit5 == rank < 5, row);
            // torch.topk orders equal values as std::nth_element leaves them; where the k-th and (k+1)-th differ, its classes are ours.
            if (!c.Tie1)
                Assert.True(c.Topk1.Order().SequenceEqual(c.Sorted1.Order()) && c.TopkHit1 == c.Hit1, row);
            if (!c.Tie5)
                Assert.True(c.Topk5.Order().SequenceEqual(c.Sorted5.Order()) && c.TopkHit5 == c.Hit5, row);
            hit1 += rank < 1 ? 1 : 0;
            hit5 += rank < 5 ? 1 : 0;
        }
        var hits = root.GetProperty("hits");
        Assert.Equal((hits.GetProperty("sorted_top1").GetInt32(), hits.GetProperty("sorted_top5").GetInt32()), (hit1, hit5));
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu), InlineData("partition")]
    public void TheTrainingLossRanksAsTorchOnEveryBackend(string path)
    {
        var cases = Fixture().Cases.Where(c => c.Logits.Length == 10).ToArray();
        Network net = path == "partition" ? new RankColumnsProbe(fixture.CpuDevice) : new RankProbe(fixture[path]);
        using var _ = net;
        var fc = net.Layers[^1];
        net.WriteParameters(new float[net.Info.ParameterCount]);
        using Trainer trainer = path == "partition" ? new PartitionedTrainer(net, devices: 2) : new Trainer(net);
        foreach (var c in cases)
        {
            fc.Bias.Write(c.Logits);
            var result = trainer.Evaluate([1f], [c.Label]);
            string row = $"[{string.Join(", ", c.Logits)}] label {c.Label}";
            Assert.True(new[] { c.Hit1 ? 1 : 0, c.Hit5 ? 1 : 0 }.SequenceEqual([result.Top1, result.Top5]), $"{path}: {row} gave top-1 {result.Top1}, top-5 {result.Top5}");
            Assert.True(!c.Logits.Any(float.IsNaN) || double.IsNaN(result.Loss), row);
        }
    }

    /// <summary>The sample's validation labels, and MiniAlexNet with every weight zero: ten equal logits, loss ln 10.</summary>
    private static (Dataset Validation, MiniAlexNet Network, double Top1, double Top5) ZeroNetwork(Device device)
    {
        var validation = DataSplits.Open(TrainCommand.Sample, 1).Validation;
        var labels = Enumerable.Range(0, validation.Count).Select(validation.Label).ToArray();
        var network = new MiniAlexNet(device, seed: 1);
        network.WriteParameters(new float[network.Info.ParameterCount]);
        // Equal logits rank in class order: class 0 is first, classes 0 to 4 the top five (torch.sort, stable; torch.argmax).
        return (validation, network, labels.Count(l => l == 0) / (double)labels.Length, labels.Count(l => l < 5) / (double)labels.Length);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void ANetworkOfZerosScoresWhatTheTieRuleGivesNotEveryImage(bool tenCrop)
    {
        var (validation, network, top1, top5) = ZeroNetwork(fixture.CpuDevice);
        using var _ = network;
        Assert.InRange(top5, 0.3, 0.7); // the sample is balanced enough that the old 100% could not pass
        var statistics = DataStatistics.Compute(new DatasetSubset(validation, Enumerable.Range(0, 37).ToArray(), "37 images"),
            new Preprocessing(28, 0, true, 0, Normalise: true));
        using var pass = network.CreateForwardPass(100);
        var result = Evaluator.Evaluate(pass, validation, new Augmenter(statistics, MiniAlexNet.Description.Input), tenCrop);
        Assert.Equal(top1, result.Top1Accuracy, 12);
        Assert.Equal(top5, result.Top5Accuracy, 12);
        Assert.Equal(Math.Log(10), result.Loss, 6);
    }

    [Fact]
    public void EvalJsonOfANetworkOfZerosGivesTheTieRulesAccuracyRounded()
    {
        var (validation, network, top1, top5) = ZeroNetwork(fixture.CpuDevice);
        using var _ = network;
        using var folder = new TemporaryFolder();
        string weights = SaveRun(network, validation, folder);

        var (code, output) = CommandTests.Netgen("eval", "minialexnet", "--weights", weights, "--data", TrainCommand.Sample, "--device", "cpu", "--json");
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(validation.Count, root.GetProperty("images").GetInt32());
        Assert.Equal(Math.Round(top1, 6), root.GetProperty("top1_accuracy").GetDouble());
        Assert.Equal(Math.Round(top5, 6), root.GetProperty("top5_accuracy").GetDouble());
        Assert.Equal(Math.Round(1 - top1, 6), root.GetProperty("top1_error").GetDouble());
        Assert.Equal(Math.Round(1 - top5, 6), root.GetProperty("top5_error").GetDouble());
        Assert.Equal(Math.Log(10), root.GetProperty("loss").GetDouble(), 6);
        // Fractions of images print to six decimals at most, never as 0.10389999999999999.
        foreach (string name in new[] { "top1_accuracy", "top5_accuracy", "top1_error", "top5_error" })
        {
            string text = root.GetProperty(name).GetRawText();
            Assert.True(text.Length <= 8, $"{name}: {text}");
        }
    }

    [Fact]
    public void ClassifyListsClassesByTheirLogitsWhenProbabilitiesRoundToZero()
    {
        var (validation, network, _, _) = ZeroNetwork(fixture.CpuDevice);
        using var _ = network;
        // Class 0 takes all the probability; the others' logits, -1000 to -200, rise with the class, though every one of
        // their probabilities is 0 even in double: classify must list 0, 9, 8, 7, 6, not 0, 1, 2, 3, 4.
        network.Layers[^1].Bias.Write([0f, -1000f, -900f, -800f, -700f, -600f, -500f, -400f, -300f, -200f]);
        using var folder = new TemporaryFolder();
        string weights = SaveRun(network, validation, folder);

        var (code, output) = CommandTests.Netgen("classify", "minialexnet", "--weights", weights, "--data", TrainCommand.Sample, "--device", "cpu", "val:0");
        Assert.True(code == 0, output);
        var classes = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Trim().Split("  ", 2)[1].Trim()).ToArray();
        var names = IdxDataset.FashionMnistClasses;
        Assert.Equal(new[] { names[0], names[9], names[8], names[7], names[6] }, classes);
    }

    /// <summary>Writes the network's weights and a run's data statistics into <paramref name="folder"/>, as train leaves them; returns the weights' path.</summary>
    private static string SaveRun(Network network, Dataset validation, TemporaryFolder folder)
    {
        string weights = Path.Combine(folder.Path, "w.safetensors");
        Checkpoint.Save(weights, network.Info, network.ReadParameters(), null, new TrainingState(0, 0, 0.01f, 1));
        DataStatistics.Compute(new DatasetSubset(validation, Enumerable.Range(0, 37).ToArray(), "37 images"), new Preprocessing(28, 0, true, 0, Normalise: true))
            .Save(Path.Combine(folder.Path, DataStatistics.FileName));
        return weights;
    }
}
