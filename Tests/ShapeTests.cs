using System.Linq;

using NetGen.Networks;
using NetGen.CommandLine;

namespace NetGen.Tests;

/// <summary>The compile-time figures of the generated AlexNet against ALEXNET.md's published ones.</summary>
public class ShapeTests
{
    [Fact]
    public void AlexNetCountsMatchThePaper()
    {
        Assert.Equal(60_965_224L, AlexNet.ParameterCount);
        Assert.Equal(724_406_816L, AlexNet.MultiplyAdds);
        long[] parameters = [34_944, 307_456, 885_120, 663_936, 442_624, 37_752_832, 16_781_312, 4_097_000];
        long[] multiplyAdds = [105_415_200, 223_948_800, 149_520_384, 112_140_288, 74_760_192, 37_748_736, 16_777_216, 4_096_000];
        Assert.Equal(parameters, AlexNet.Description.Layers.Select(l => l.ParameterCount));
        Assert.Equal(multiplyAdds, AlexNet.Description.Layers.Select(l => l.MultiplyAdds));
    }

    [Fact]
    public void AlexNetShapesAreConstants()
    {
        Assert.Equal(new Shape(3, 227, 227), AlexNet.Shapes.Input);
        Assert.Equal(new Shape(96, 55, 55), AlexNet.Shapes.Conv1);
        Assert.Equal(new Shape(96, 27, 27), AlexNet.Shapes.Conv1MaxPool);
        Assert.Equal(new Shape(256, 13, 13), AlexNet.Shapes.Conv2MaxPool);
        Assert.Equal(new Shape(384, 13, 13), AlexNet.Shapes.Conv4);
        Assert.Equal(new Shape(256, 6, 6), AlexNet.Shapes.Conv5MaxPool);
        Assert.Equal(new Shape(1000, 1, 1), AlexNet.Shapes.Fc8Softmax);
        const int pool5 = AlexNet.Shapes.Conv5MaxPoolChannels * AlexNet.Shapes.Conv5MaxPoolHeight * AlexNet.Shapes.Conv5MaxPoolWidth;
        Assert.Equal(9216, pool5);
    }

    [Fact]
    public void ParameterTableUsesPyTorchNamesAndLayouts()
    {
        var table = AlexNet.Description.Parameters;
        Assert.Equal(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"], table.Take(4).Select(p => p.Name));
        Assert.Equal([96, 3, 11, 11], table[0].Dimensions);
        Assert.Equal([256, 48, 5, 5], table[2].Dimensions);
        Assert.Equal([4096, 9216], table.Single(p => p.Name == "fc6.weight").Dimensions);
        Assert.Equal(AlexNet.ParameterCount, table.Sum(p => p.Count));
        for (int i = 1; i < table.Count; i++)
            Assert.Equal(table[i - 1].Offset + table[i - 1].Count, table[i].Offset);
    }

    [Fact]
    public void ShapesTableShowsTheSpatialChainAndTotals()
    {
        string table = ShapesCommand.Table(AlexNet.Description);
        Assert.Contains("spatial size: 227 -> 55 -> 27 -> 13 -> 6", table);
        Assert.Contains("60,965,224", table);
        Assert.Contains("724,406,816", table);
        Assert.Equal("28 -> 14 -> 7", string.Join(" -> ", ShapesCommand.SpatialChain(MiniAlexNet.Description)));
    }

    [Fact]
    public void GlobalAveragePoolingLeavesOneValuePerChannelForTheDenseLayer()
    {
        var info = Kernels.GlobalAvgPoolProbe.Description;
        Assert.Equal(new Shape(4, 7, 7), Kernels.GlobalAvgPoolProbe.Shapes.Conv);
        Assert.Equal(new Shape(4, 1, 1), Kernels.GlobalAvgPoolProbe.Shapes.ConvGlobalAvgPool);
        Assert.Equal([3, 4], info.Parameters.Single(p => p.Name == "fc.weight").Dimensions);
        // The pool adds, as an average pool does: only the convolution and the dense layer multiply.
        Assert.Equal([4L * 49 * 27, 3 * 4], info.Layers.Select(l => l.MultiplyAdds));
        string table = ShapesCommand.Table(info);
        Assert.Contains(table.Split('\n'), line => line.Split("  ", System.StringSplitOptions.RemoveEmptyEntries).Select(c => c.Trim()).SequenceEqual(["global avg pool", "4"]));
        Assert.Equal("7", string.Join(" -> ", ShapesCommand.SpatialChain(info)));
    }
}
