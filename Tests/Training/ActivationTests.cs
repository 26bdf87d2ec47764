using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Partitioning;

namespace NetGen.Tests.Training;

// One probe per activation: in a convolution's epilogue alone, and in a dense layer's before a
// dropout, so its derivative is run both alone and inside a chain.

[Network(Channels = 2, Height = 5, Width = 5)]
public sealed partial class LeakyReluNet
{
    [Conv(3, Kernel = 3), LeakyRelu(0.2f)] public partial Layer Conv { get; }
    [Dense(6), LeakyRelu(0.2f), Dropout(0.25f)] public partial Layer Fc1 { get; }
    [Dense(4)] public partial Layer Fc2 { get; }
}

[Network(Channels = 2, Height = 5, Width = 5)]
public sealed partial class EluNet
{
    [Conv(3, Kernel = 3), Elu(1.5f)] public partial Layer Conv { get; }
    [Dense(6), Elu(1.5f), Dropout(0.25f)] public partial Layer Fc1 { get; }
    [Dense(4)] public partial Layer Fc2 { get; }
}

[Network(Channels = 2, Height = 5, Width = 5)]
public sealed partial class GeluNet
{
    [Conv(3, Kernel = 3), Gelu] public partial Layer Conv { get; }
    [Dense(6), Gelu, Dropout(0.25f)] public partial Layer Fc1 { get; }
    [Dense(4)] public partial Layer Fc2 { get; }
}

[Network(Channels = 2, Height = 5, Width = 5)]
public sealed partial class SigmoidNet
{
    [Conv(3, Kernel = 3), Sigmoid] public partial Layer Conv { get; }
    [Dense(6), Sigmoid, Dropout(0.25f)] public partial Layer Fc1 { get; }
    [Dense(4)] public partial Layer Fc2 { get; }
}

[Network(Channels = 2, Height = 5, Width = 5)]
public sealed partial class TanhNet
{
    [Conv(3, Kernel = 3), Tanh] public partial Layer Conv { get; }
    [Dense(6), Tanh, Dropout(0.25f)] public partial Layer Fc1 { get; }
    [Dense(4)] public partial Layer Fc2 { get; }
}

/// <summary>Two columns, with activations mixed with gates in one epilogue, and one ending the logits.</summary>
[Network(Channels = 2, Height = 5, Width = 5, Columns = 2)]
public sealed partial class MixedActivationsNet
{
    [Conv(4, Kernel = 3), Relu, Gelu] public partial Layer Conv { get; }
    [Dense(6), Tanh, Dropout(0.25f), LeakyRelu(0.1f)] public partial Layer Fc1 { get; }
    [Dense(4), Sigmoid] public partial Layer Fc2 { get; }
}

/// <summary>
/// The activation family against PyTorch's definitions: the reference network computes each
/// activation in double by the formula PyTorch documents, and differentiates it by central
/// differences of that formula (so it shares nothing with the generator's derivative); the
/// generated forward and backward passes on both backends must give its loss and every gradient,
/// and the loss's own finite differences. A table of values PyTorch 1.13 printed holds the
/// reference's formulas to PyTorch itself.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class ActivationTests(AcceleratorFixture fixture)
{
    private const double Sqrt2OverPi = 0.7978845608028654;

    /// <summary>Each activation by PyTorch's documented formula, in double.</summary>
    private static readonly Dictionary<string, Func<double, double>> Definitions = new()
    {
        ["LeakyRelu"] = x => Math.Max(0, x) + 0.2 * Math.Min(0, x),
        ["Elu"] = x => x > 0 ? x : 1.5 * (Math.Exp(x) - 1),
        ["Gelu"] = x => 0.5 * x * (1 + Math.Tanh(Sqrt2OverPi * (x + 0.044715 * x * x * x))),
        ["Sigmoid"] = x => 1 / (1 + Math.Exp(-x)),
        ["Tanh"] = Math.Tanh,
    };

    /// <summary>
    /// What PyTorch 1.13 gives at x = -3, -1, -0.25, 0.5, 2 (F.leaky_relu(x, 0.2), F.elu(x, 1.5),
    /// F.gelu(x, approximate='tanh'), torch.sigmoid, torch.tanh, in float64, printed to ten digits):
    /// values, then the gradients autograd returns.
    /// </summary>
    public static TheoryData<string, double[], double[]> PyTorchValues => new()
    {
        { "LeakyRelu", [-0.6, -0.2, -0.05, 0.5, 2], [0.2, 0.2, 0.2, 1, 1] },
        { "Elu", [-1.425319397, -0.9481808382, -0.3317988254, 0.5, 2], [0.07468060255, 0.5518191618, 1.168201175, 1, 1] },
        { "Gelu", [-0.003637392082, -0.1588080094, -0.1003246493, 0.3457140098, 1.954597694], [-0.01158416663, -0.08296408385, 0.3046459048, 0.8673699035, 1.086099257] },
        { "Sigmoid", [0.04742587318, 0.2689414214, 0.4378234991, 0.6224593312, 0.880797078], [0.04517665973, 0.1966119332, 0.2461340827, 0.2350037122, 0.1049935854] },
        { "Tanh", [-0.9950547537, -0.761594156, -0.2449186624, 0.4621171573, 0.9640275801], [0.009866037165, 0.4199743416, 0.9400148488, 0.786447733, 0.07065082485] },
    };

    private static readonly double[] PyTorchInputs = [-3, -1, -0.25, 0.5, 2];

    [Theory]
    [MemberData(nameof(PyTorchValues))]
    public void TheReferenceFormulasGivePyTorchsValuesAndGradients(string activation, double[] values, double[] gradients)
    {
        var f = Definitions[activation];
        for (int i = 0; i < PyTorchInputs.Length; i++)
        {
            Assert.Equal(values[i], f(PyTorchInputs[i]), 1e-8);
            Assert.Equal(gradients[i], Derivative(f, PyTorchInputs[i]), 1e-7);
        }
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string activation in Definitions.Keys)
            foreach (string device in new[] { AcceleratorFixture.Kernels, AcceleratorFixture.Cpu })
                data.Add(activation, device);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardOnBothBackendsMatchTheDefinitionAndFiniteDifferences(string activation, string device)
    {
        using Network net = activation switch
        {
            "LeakyRelu" => new LeakyReluNet(fixture[device]),
            "Elu" => new EluNet(fixture[device]),
            "Gelu" => new GeluNet(fixture[device]),
            "Sigmoid" => new SigmoidNet(fixture[device]),
            "Tanh" => new TanhNet(fixture[device]),
            _ => throw new ArgumentException(activation),
        };
        GradientCheck.Randomise(net, seed: 21);
        var f = Definitions[activation];
        var images = Numbers.Uniform(3 * 2 * 5 * 5, 22, 2f);
        var labels = GradientCheck.Labels(3, 4, 23);
        GradientCheck.Run(net, key => new ReferenceNet(net.Info,
            new ReferenceNet.Conv(new(2, 5, 5), 3, 3, 1, 0, 1, new(3, 3, 3), Offset(net, "conv.weight"), Offset(net, "conv.bias")),
            new Activation(f),
            new ReferenceNet.Dense(27, 6, Offset(net, "fc1.weight"), Offset(net, "fc1.bias")),
            new Activation(f),
            new ReferenceNet.Dropout(1 * 32 + 2, 0.25f, key),
            new ReferenceNet.Dense(6, 4, Offset(net, "fc2.weight"), Offset(net, "fc2.bias"))), images, labels, dropout: true);
    }

    /// <summary>A forward pass returns the network's output, not a value kept for the backward pass (as evaluation reads it).</summary>
    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void AForwardPassReturnsTheOutputOfTheDefinition(string device)
    {
        using var net = new MixedActivationsNet(fixture[device]);
        GradientCheck.Randomise(net, seed: 51);
        var images = Numbers.Uniform(3 * 2 * 5 * 5, 52, 2f);
        using var pass = net.CreateForwardPass(3);
        var output = pass.Run(images);
        Assert.Equal("fc2", pass.OutputName);
        var reference = MixedReference(net, DropoutKey.Evaluation);
        var x = ReferenceNet.ToDouble(images);
        var p = ReferenceNet.ToDouble(net.ReadParameters());
        foreach (var op in reference.Ops)
            x = op.Forward(x, 3, p);
        Assert.Equal(x.Length, output.Length);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(x[i], output[i], 1e-5);
    }

    private static ReferenceNet MixedReference(Network net, DropoutKey key) => new(net.Info,
        new ReferenceNet.Conv(new(2, 5, 5), 4, 3, 1, 0, 1, new(4, 3, 3), Offset(net, "conv.weight"), Offset(net, "conv.bias")),
        new ReferenceNet.Relu(),
        new Activation(Definitions["Gelu"]),
        new ReferenceNet.Dense(36, 6, Offset(net, "fc1.weight"), Offset(net, "fc1.bias")),
        new Activation(Definitions["Tanh"]),
        new ReferenceNet.Dropout(1 * 32 + 2, 0.25f, key),
        new Activation(x => Math.Max(0, x) + 0.1 * Math.Min(0, x)),
        new ReferenceNet.Dense(6, 4, Offset(net, "fc2.weight"), Offset(net, "fc2.bias")),
        new Activation(Definitions["Sigmoid"]));

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ActivationsMixedWithGatesAndEndingTheLogitsMatchTheDefinitions(string device)
    {
        using var net = new MixedActivationsNet(fixture[device]);
        GradientCheck.Randomise(net, seed: 31);
        var images = Numbers.Uniform(3 * 2 * 5 * 5, 32, 2f);
        var labels = GradientCheck.Labels(3, 4, 33);
        GradientCheck.Run(net, key => MixedReference(net, key), images, labels, dropout: true);
    }

    [Theory, InlineData(true), InlineData(false)]
    public void KeptEpiloguesOnTwoDevicesGiveTheLogitsAndGradientsOfOne(bool dropout)
    {
        using var network = new MixedActivationsNet(fixture.CpuDevice, seed: 5);
        GradientCheck.Randomise(network, seed: 41);
        ExecutorTests.AssertSameStep(network, Numbers.Uniform(6 * 2 * 5 * 5, 42, scale: 2f), [0, 1, 2, 3, 1, 0], dropout);
    }

    private static int Offset(Network net, string name) => (int)net.Info.Parameters.Single(t => t.Name == name).Offset;

    /// <summary>The derivative of <paramref name="f"/> at <paramref name="x"/> by central differences in double.</summary>
    private static double Derivative(Func<double, double> f, double x)
    {
        const double h = 1e-6;
        return (f(x + h) - f(x - h)) / (2 * h);
    }

    /// <summary>An elementwise activation for the reference network: its formula, differentiated numerically.</summary>
    private sealed record Activation(Func<double, double> F) : ReferenceNet.Op
    {
        public override double[] Forward(double[] x, int batch, double[] p) => Array.ConvertAll(x, v => F(v));

        public override double[] Backward(double[] x, double[] y, double[] dy, int batch, double[] p, double[] g) =>
            x.Select((v, i) => dy[i] * Derivative(F, v)).ToArray();
    }
}
