using System;
using System.Linq;
using NetGen.Networks;
using NetGen.Tests.Partitioning;

namespace NetGen.Tests.Commands;

/// <summary>The catalog the generator fills from module initializers: complete, faithful, and loud about a name two networks share.</summary>
[Collection(ConsoleCollection.Name)]
public class NetworkCatalogTests
{
    [Fact]
    public void EveryNetworkRegistersItsDescriptionPartitionDefaultsAndConstructor()
    {
        var alexnet = NetworkCatalog.Find("AlexNet")!;
        Assert.Equal(("NetGen.Networks.AlexNet", "NetGen.Runtime"), (alexnet.FullName, alexnet.Assembly));
        Assert.Same(AlexNet.Description, alexnet.Info);
        Assert.Same(AlexNet.Partition, alexnet.Partition);
        Assert.Equal(256, alexnet.Defaults!.ImageSize);

        var mini = NetworkCatalog.Find("minialexnet")!;
        Assert.Equal((20, 0.05f, 12, false, 0.002), (mini.Defaults!.Epochs, mini.Defaults.LearningRate, mini.Defaults.Warmup, mini.Defaults.Flip, mini.Defaults.Threshold));
        using var device = Device.Open("cpu");
        using var network = mini.Create(device, 3);
        Assert.IsType<MiniAlexNet>(network);
        using var same = new MiniAlexNet(device, 3);
        Assert.Equal(same.ReadParameters(), network.ReadParameters());

        // Networks declared outside the runtime (here, in the tests) are there too, and a
        // network that takes another's layers takes its training defaults.
        var three = NetworkCatalog.Find("minialexnet3")!;
        Assert.Equal("NetGen.Tests", three.Assembly);
        Assert.Same(MiniAlexNet3.Description, three.Info);
        Assert.Equal(mini.Defaults.LearningRate, three.Defaults!.LearningRate);
        Assert.Null(NetworkCatalog.Find("SgdProbe")!.Defaults);
        Assert.Null(NetworkCatalog.Find("no-such-network"));
    }

    [Fact]
    public void TwoNetworksWithOneNameAreReportedWhenTheNameIsUsed()
    {
        var info = Kernels.SgdProbe.Description with { Name = "TwinProbe" };
        NetworkCatalog.Register(new NetworkEntry("First.TwinProbe", "First", info, null, null, (d, s) => new Kernels.SgdProbe(d, s)));
        NetworkCatalog.Register(new NetworkEntry("Second.TwinProbe", "Second", info, null, null, (d, s) => new Kernels.SgdProbe(d, s)));

        var e = Assert.Throws<InvalidOperationException>(() => NetworkCatalog.Find("twinprobe"));
        Assert.Equal("2 networks are named 'twinprobe': First.TwinProbe in First, Second.TwinProbe in Second; rename all but one of the classes.", e.Message);
        var (code, _) = CommandTests.Netgen("shapes", "twinprobe");
        Assert.Equal(2, code);
    }

    [Fact]
    public void TheCommandLineFindsANetworkDeclaredOutsideTheRuntime()
    {
        var (code, output) = CommandTests.Netgen("shapes", "minialexnet3");
        Assert.Equal(0, code);
        Assert.Contains("dense 3", output);
        Assert.Contains(MiniAlexNet3.Description.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), output);
        Assert.Contains(NetworkCatalog.All, e => e.Name == "minialexnet3");
        Assert.True(NetworkCatalog.All.Select(e => e.Name).SequenceEqual(NetworkCatalog.All.Select(e => e.Name).Order(StringComparer.Ordinal)));
    }
}
