using System;
using System.Linq;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

// One probe per preset, each a grouped convolution and a dense layer after it. Their fans, worked
// out by hand as PyTorch's _calculate_fan_in_and_fan_out does (size(1) and size(0) times the
// kernel area):
//   conv weight (32, 8 / 2, 3, 3): fan_in = 4 * 9 = 36, fan_out = 32 * 9 = 288 (not divided by groups)
//   fc weight (10, 32 * 8 * 8):     fan_in = 2048,      fan_out = 10

/// <summary>No Init anywhere: each layer's WeightStd, as before presets existed.</summary>
[Network(Channels = 8, Height = 8, Width = 8)]
public sealed partial class GaussianInitProbe
{
    [Conv(32, Kernel = 3, Pad = 1, Groups = 2, WeightStd = 0.05f, BiasInit = 0.25f)] public partial Layer Conv { get; }
    [Dense(10)] public partial Layer Fc { get; }
}

/// <summary>He (fan_in) for the network; the dense layer's own Init wins.</summary>
[Network(Channels = 8, Height = 8, Width = 8, Init = Init.HeNormal)]
public sealed partial class HeNormalInitProbe
{
    [Conv(32, Kernel = 3, Pad = 1, Groups = 2)] public partial Layer Conv { get; }
    [Dense(10, Init = Init.XavierNormal)] public partial Layer Fc { get; }
}

[Network(Channels = 8, Height = 8, Width = 8, Init = Init.HeNormalFanOut)]
public sealed partial class HeNormalFanOutInitProbe
{
    [Conv(32, Kernel = 3, Pad = 1, Groups = 2)] public partial Layer Conv { get; }
    [Dense(10)] public partial Layer Fc { get; }
}

/// <summary>Xavier uniform for the network; the dense layer goes back to a Gaussian of its own WeightStd.</summary>
[Network(Channels = 8, Height = 8, Width = 8, Init = Init.XavierUniform)]
public sealed partial class XavierUniformInitProbe
{
    [Conv(32, Kernel = 3, Pad = 1, Groups = 2, BiasInit = 0.5f)] public partial Layer Conv { get; }
    [Dense(10, Init = Init.Gaussian, WeightStd = 0.02f)] public partial Layer Fc { get; }
}

[Network(Channels = 8, Height = 8, Width = 8, Init = Init.XavierNormal)]
public sealed partial class XavierNormalInitProbe
{
    [Conv(32, Kernel = 3, Pad = 1, Groups = 2)] public partial Layer Conv { get; }
    [Dense(10)] public partial Layer Fc { get; }
}

/// <summary>What nn.Conv2d and nn.Linear do unasked; the dense layer keeps the bias it sets.</summary>
[Network(Channels = 8, Height = 8, Width = 8, Init = Init.PyTorchDefault)]
public sealed partial class PyTorchDefaultInitProbe
{
    [Conv(32, Kernel = 3, Pad = 1, Groups = 2)] public partial Layer Conv { get; }
    [Dense(10, BiasInit = 0.5f)] public partial Layer Fc { get; }
}

/// <summary>HeNormalFanOutInitProbe's layers with its Init, which a network that takes them inherits...</summary>
[Network(Layers = typeof(HeNormalFanOutInitProbe))]
public sealed partial class TakenInitProbe;

/// <summary>...unless it sets its own.</summary>
[Network(Layers = typeof(HeNormalFanOutInitProbe), Init = Init.XavierNormal)]
public sealed partial class RetakenInitProbe;

/// <summary>
/// Each preset's draws against its formula, computed here from the fans above. Tolerances are
/// five standard errors of the statistic for the tensor's size: a sample mean's is std / sqrt(n),
/// a Gaussian sample std's std / sqrt(2n), a uniform one's about 0.45 std / sqrt(n).
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class InitialisationTests(AcceleratorFixture fixture)
{
    private const double ConvFanIn = 4 * 9, ConvFanOut = 32 * 9, FcFanIn = 2048, FcFanOut = 10;

    [Fact]
    public void GaussianIsEachLayersWeightStd()
    {
        using var net = new GaussianInitProbe(fixture.CpuDevice, seed: 1);
        Gaussian(net.Conv.Weight.Read(), 0.05, "conv.weight");
        Gaussian(net.Fc.Weight.Read(), 0.01, "fc.weight");
        Assert.All(net.Conv.Bias.Read(), b => Assert.Equal(0.25f, b));
        Assert.All(net.Fc.Bias.Read(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void HeNormalIsKaimingNormalFanIn()
    {
        using var net = new HeNormalInitProbe(fixture.CpuDevice, seed: 2);
        Gaussian(net.Conv.Weight.Read(), Math.Sqrt(2 / ConvFanIn), "conv.weight");
        Gaussian(net.Fc.Weight.Read(), Math.Sqrt(2 / (FcFanIn + FcFanOut)), "fc.weight (its own XavierNormal)");
        Assert.All(net.Conv.Bias.Read(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void HeNormalFanOutIsKaimingNormalFanOut()
    {
        using var net = new HeNormalFanOutInitProbe(fixture.CpuDevice, seed: 3);
        Gaussian(net.Conv.Weight.Read(), Math.Sqrt(2 / ConvFanOut), "conv.weight");
        Gaussian(net.Fc.Weight.Read(), Math.Sqrt(2 / FcFanOut), "fc.weight");
    }

    [Fact]
    public void XavierUniformIsGlorotUniform()
    {
        using var net = new XavierUniformInitProbe(fixture.CpuDevice, seed: 4);
        Uniform(net.Conv.Weight.Read(), Math.Sqrt(6 / (ConvFanIn + ConvFanOut)), "conv.weight");
        Gaussian(net.Fc.Weight.Read(), 0.02, "fc.weight (its own Gaussian)");
        Assert.All(net.Conv.Bias.Read(), b => Assert.Equal(0.5f, b));
    }

    [Fact]
    public void XavierNormalIsGlorotNormal()
    {
        using var net = new XavierNormalInitProbe(fixture.CpuDevice, seed: 5);
        Gaussian(net.Conv.Weight.Read(), Math.Sqrt(2 / (ConvFanIn + ConvFanOut)), "conv.weight");
        Gaussian(net.Fc.Weight.Read(), Math.Sqrt(2 / (FcFanIn + FcFanOut)), "fc.weight");
    }

    [Fact]
    public void PyTorchDefaultIsKaimingUniformWithItsBias()
    {
        using var net = new PyTorchDefaultInitProbe(fixture.CpuDevice, seed: 6);
        // kaiming_uniform_(a = sqrt(5)): gain sqrt(2 / 6), bound gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in).
        Uniform(net.Conv.Weight.Read(), 1 / Math.Sqrt(ConvFanIn), "conv.weight");
        Uniform(net.Fc.Weight.Read(), 1 / Math.Sqrt(FcFanIn), "fc.weight");
        // The bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), 32 values, so only its bounds and that it varies.
        var bias = net.Conv.Bias.Read();
        double bound = 1 / Math.Sqrt(ConvFanIn);
        Assert.All(bias, b => Assert.InRange(b, -bound, bound));
        Assert.True(bias.Distinct().Count() > 16, "conv.bias is drawn, not constant");
        Assert.All(net.Fc.Bias.Read(), b => Assert.Equal(0.5f, b));
    }

    [Fact]
    public void ANetworkTakingLayersTakesTheirInitUnlessItSetsOne()
    {
        using var taken = new TakenInitProbe(fixture.CpuDevice, seed: 9);
        Gaussian(taken.Layers[0].Weight.Read(), Math.Sqrt(2 / ConvFanOut), "taken conv.weight");
        using var retaken = new RetakenInitProbe(fixture.CpuDevice, seed: 9);
        Gaussian(retaken.Layers[0].Weight.Read(), Math.Sqrt(2 / (ConvFanIn + ConvFanOut)), "retaken conv.weight");
        Gaussian(retaken.Layers[1].Weight.Read(), Math.Sqrt(2 / (FcFanIn + FcFanOut)), "retaken fc.weight");
    }

    [Fact]
    public void PresetsArePureFunctionsOfTheSeed()
    {
        using var a = new PyTorchDefaultInitProbe(fixture.CpuDevice, seed: 7);
        using var b = new PyTorchDefaultInitProbe(fixture[AcceleratorFixture.Kernels], seed: 7);
        using var c = new PyTorchDefaultInitProbe(fixture.CpuDevice, seed: 8);
        Assert.Equal(a.ReadParameters(), b.ReadParameters());
        Assert.NotEqual(a.ReadParameters(), c.ReadParameters());
    }

    private static void Gaussian(float[] values, double std, string what)
    {
        int n = values.Length;
        double mean = values.Average(v => (double)v);
        double sampleStd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        Assert.True(Math.Abs(mean) <= 5 * std / Math.Sqrt(n), $"{what}: mean {mean:G4}, expected 0 within {5 * std / Math.Sqrt(n):G4}");
        Assert.True(Math.Abs(sampleStd - std) <= 5 * std / Math.Sqrt(2 * n), $"{what}: std {sampleStd:G4}, expected {std:G4}");
        // A Gaussian, not a uniform of that std: some values beyond 2 std (4.6% of them).
        Assert.True(values.Count(v => Math.Abs(v) > 2 * std) > n / 100, $"{what}: no tail beyond 2 std");
    }

    private static void Uniform(float[] values, double bound, string what)
    {
        int n = values.Length;
        Assert.All(values, v => Assert.InRange(v, -bound, bound));
        double mean = values.Average(v => (double)v), std = bound / Math.Sqrt(3);
        double sampleStd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        Assert.True(Math.Abs(mean) <= 5 * std / Math.Sqrt(n), $"{what}: mean {mean:G4}, expected 0 within {5 * std / Math.Sqrt(n):G4}");
        Assert.True(Math.Abs(sampleStd - std) <= 5 * 0.45 * std / Math.Sqrt(n), $"{what}: std {sampleStd:G4}, expected {std:G4}");
        // Filling the range: with n >= 1152 values, the largest lies within 1% of the bound (missing it has odds 0.99^n).
        Assert.True(values.Max(v => Math.Abs(v)) > 0.99 * bound, $"{what}: nothing near the bound {bound:G4}");
    }
}
