using System;
using System.IO;
using System.Linq;
using NetGen.Data;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Training;

namespace NetGen.Tests.Partitioning;

/// <summary>MiniAlexNet's layers with three classes: fc8's 3 units do not split over its two columns.</summary>
[Network(Layers = typeof(MiniAlexNet), Classes = 3)]
public sealed partial class MiniAlexNet3;

/// <summary>AlexNet's layers with five classes.</summary>
[Network(Layers = typeof(AlexNet), Classes = 5)]
public sealed partial class AlexNet5;

/// <summary>
/// Networks with any number of classes: taking another network's layers with <c>Classes</c>, a last
/// layer that does not split over the columns (computed whole on every device), and the check that
/// a dataset's classes match a network's outputs before a run starts.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class ClassCountTests(AcceleratorFixture fixture)
{
    [Fact]
    public void ANetworkTakesAnotherNetworksLayersWithItsOwnClassCount()
    {
        var mini = MiniAlexNet.Description;
        var three = MiniAlexNet3.Description;
        Assert.Equal((mini.Input, mini.Columns), (three.Input, three.Columns));
        Assert.Equal(mini.Layers.Select(l => l.Name), three.Layers.Select(l => l.Name));
        for (int i = 0; i < mini.Layers.Count - 1; i++)
            Assert.Equal(mini.Layers[i].Operations, three.Layers[i].Operations);
        Assert.Equal(["dense 3", "softmax"], three.Layers[^1].Operations.Select(o => o.Description));
        Assert.Equal(new Shape(3, 1, 1), three.Output);
        // fc7 has 512 units: fc8 goes from 10 x 512 + 10 = 5,130 parameters to 3 x 512 + 3 = 1,539.
        Assert.Equal(2_086_538 - 5_130 + 1_539, three.ParameterCount);
        // AlexNet's fc8 from 1000 x 4096 + 1000 to 5 x 4096 + 5.
        Assert.Equal(60_965_224 - 4_097_000 + 20_485, AlexNet5.Description.ParameterCount);
        Assert.Equal(new Shape(5, 1, 1), AlexNet5.Description.Output);
        using var network = new MiniAlexNet3(fixture.CpuDevice);
        Assert.Equal("fc8", network.Fc8.Name);
    }

    [Fact]
    public void ALastLayerThatDoesNotSplitIsComputedWholeOnEveryDevice()
    {
        var plan = MiniAlexNet3.Partition;
        var fc8 = plan.Layers[^1];
        Assert.Equal(("fc8", true, true, 3), (fc8.Name, fc8.Replicated, fc8.ReadsOtherDevice, fc8.OutputsPerDevice));
        Assert.Equal(1_539, fc8.ParametersPerDevice);
        Assert.All(plan.Layers.SkipLast(1), l => Assert.False(l.Replicated));
        // Its input is gathered; nothing goes back from it, and the loss gathers nothing.
        Assert.Contains(plan.Transfers, t => t.Layer == "fc8" && t.Pass == "forward");
        Assert.DoesNotContain(plan.Transfers, t => t.Layer == "fc8" && t.Pass == "backward" || t.Layer == "loss");
        // Every other transfer is MiniAlexNet's.
        Assert.Equal(MiniAlexNet.Partition.Transfers.Where(t => t.Layer != "loss" && !(t.Layer == "fc8" && t.Pass == "backward")), plan.Transfers);
        var weight = plan.Parameters.Single(p => p.Name == "fc8.weight");
        Assert.True(weight.Whole);
        Assert.Equal(3 * 512, weight.ColumnCount);
    }

    [Theory, InlineData(true), InlineData(false)]
    public void AnUnevenLastLayerOnTwoDevicesGivesTheLogitsAndGradientsOfOne(bool dropout)
    {
        using var network = new MiniAlexNet3(fixture.CpuDevice, seed: 5);
        ExecutorTests.AssertSameStep(network, Numbers.Uniform(6 * 28 * 28, 4, scale: 2f), [0, 1, 2, 2, 1, 0], dropout);
    }

    [Fact]
    public void TrainingAnUnevenLastLayerOnTwoDevicesEndsWithTheWeightsOfOne()
    {
        var images = Numbers.Uniform(12 * 28 * 28, 6);
        int[] labels = Enumerable.Range(0, 12).Select(i => i % 3).ToArray();
        using var one = new MiniAlexNet3(fixture.CpuDevice, seed: 2);
        using var two = new MiniAlexNet3(fixture.CpuDevice, seed: 2);
        using var trainOne = new MiniAlexNet3.Trainer(one, seed: 3);
        using var trainTwo = new PartitionedTrainer(two, devices: 2, seed: 3);
        for (int step = 0; step < 4; step++)
        {
            trainOne.Train(images, labels, 0.02f);
            trainTwo.Train(images, labels, 0.02f);
        }
        ExecutorTests.AssertNear(one.ReadParameters(), two.ReadParameters(), "weights after 4 steps");
        ExecutorTests.AssertNear(trainOne.ReadVelocity(), trainTwo.ReadVelocity(), "momentum after 4 steps");
        Assert.Equal(4 * MiniAlexNet3.Partition.Transfers.Where(t => t.Pass == "backward").Sum(t => t.BytesPerImage) * 12, trainTwo.Exchange.BackwardBytes);
    }

    [Fact]
    public void FewerClassesThanOutputsIsAnErrorThatNamesTheDeclarationToWrite()
    {
        using var folder = ClassFolder(3, imagesPerClass: 10);
        using var network = new MiniAlexNet(fixture.CpuDevice);
        var data = DataSplits.Open(folder.File("images"), channels: 1);

        var e = Assert.Throws<InvalidDataException>(() => new TrainingRun(network, data, new TrainingOptions(), TrainingRunTests.MiniPreprocessing, folder.File("run")));

        Assert.StartsWith($"{data.Train.Source}: 3 classes (class0, class1, class2), fewer than the 10 outputs of MiniAlexNet, so 7 of them would never be a target.", e.Message);
        Assert.Contains("[Network(Layers = typeof(MiniAlexNet), Classes = 3)] public sealed partial class MiniAlexNet3;", e.Message);
        Assert.False(Directory.Exists(folder.File("run")), "nothing is written before the check");
    }

    [Fact]
    public void MoreClassesThanOutputsIsAnError()
    {
        using var folder = ClassFolder(4, imagesPerClass: 10);
        using var network = new MiniAlexNet3(fixture.CpuDevice);
        var data = DataSplits.Open(folder.File("images"), channels: 1);

        var e = Assert.Throws<InvalidDataException>(() => new TrainingRun(network, data, new TrainingOptions(), TrainingRunTests.MiniPreprocessing, folder.File("run")));

        Assert.Contains("4 classes (class0, class1, class2, class3), more than the 3 outputs of MiniAlexNet3, so no output could predict class 'class3'", e.Message);
        Assert.Contains("Classes = 4)]", e.Message);
    }

    [Fact]
    public void ThreeClassesTrainEvaluateAndClassifyByName()
    {
        using var folder = ClassFolder(3, imagesPerClass: 30);
        var data = DataSplits.Open(folder.File("images"), channels: 1);
        Assert.Equal(["class0", "class1", "class2"], data.Train.Classes);
        using var network = new MiniAlexNet3(fixture.CpuDevice, seed: 1);
        var options = new TrainingOptions(Epochs: 4, BatchSize: 9, LearningRate: 0.02f, Patience: 2, Seed: 1);

        var outcome = new TrainingRun(network, data, options, TrainingRunTests.MiniPreprocessing, folder.File("run")).Run();

        // Three classes of distinct stripes: chance is 67% error; the validation images are learnt.
        Assert.True(outcome.Completed);
        Assert.True(outcome.Best!.ValidationTop1Error < 0.34, $"validation top-1 error {outcome.Best.ValidationTop1Error:P1}; chance is 67%");
        var statistics = DataStatistics.Load(Path.Combine(folder.File("run"), DataStatistics.FileName));
        Assert.Equal(["class0", "class1", "class2"], statistics.Classes);
        network.WriteParameters(Checkpoint.Load(Path.Combine(folder.File("run"), TrainingRun.BestFile), network.Info).Parameters);
        using var pass = network.CreateForwardPass(1);
        var augmenter = new Augmenter(statistics, network.Info.Input);
        var input = new float[network.Info.Input.Size];
        augmenter.Write(augmenter.Square(data.Validation.Read(0)), augmenter.TenCrops[0], default, input);
        var probabilities = Evaluator.Probabilities(pass, input, 1)[0];
        Assert.Equal(3, probabilities.Length);
        Assert.Equal(1.0, probabilities.Sum(), 5);
    }

    /// <summary>
    /// An image folder of <paramref name="classes"/> classes of 28x28 grey PNGs: class c is stripes
    /// of period c + 2, shifted by the image's index, so the classes are told apart by their period.
    /// </summary>
    private static TemporaryFolder ClassFolder(int classes, int imagesPerClass)
    {
        var folder = new TemporaryFolder();
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < imagesPerClass; i++)
            {
                var pixels = new byte[28 * 28];
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                        pixels[y * 28 + x] = (byte)((x + i) % (c + 2) == 0 ? 230 : 20 + 3 * ((x * 7 + y * 13 + i * 5) % 11));
                using var stream = File.Create(folder.File("images", $"class{c}", $"{i:D3}.png"));
                new StbImageWriteSharp.ImageWriter().WritePng(pixels, 28, 28, StbImageWriteSharp.ColorComponents.Grey, stream);
            }
        return folder;
    }
}
