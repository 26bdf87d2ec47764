using System.Linq;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

/// <summary>
/// One small probe network per operation, its per-operation code (the ILGPU forward and backward
/// kernels, and the CPU backend's calls) under snapshot, so every operation's generated code is
/// reviewed when it changes, not only AlexNet's and MiniAlexNet's.
/// </summary>
public class OperationSnapshotTests
{
    /// <summary>
    /// The operation, and a probe that uses it after as little else as a layer needs (an activation
    /// with a layer after it, whose input gradient runs its derivative).
    /// </summary>
    public static TheoryData<string, string> Probes => new()
    {
        { "Conv", "[Conv(4, Kernel = 3, Stride = 2, Pad = 1, Groups = 2, Round = Rounding.Floor)] public partial Layer Conv { get; }" },
        { "Dense", "[Dense(3)] public partial Layer Fc { get; }" },
        { "ConvNoBias", "[Conv(4, Kernel = 3, Stride = 2, Pad = 1, Groups = 2, Round = Rounding.Floor, Bias = false), Relu] public partial Layer Conv { get; } [Dense(3, Bias = false)] public partial Layer Fc { get; }" },
        { "Relu", "[Dense(3), Relu] public partial Layer Fc { get; }" },
        { "Lrn", "[Conv(4, Kernel = 1), Lrn(3)] public partial Layer Conv { get; }" },
        { "MaxPool", "[Conv(2, Kernel = 1), MaxPool(3, Stride = 2, Round = Rounding.Ceil)] public partial Layer Conv { get; }" },
        { "AvgPool", "[Conv(2, Kernel = 1), AvgPool(2, Pad = 1)] public partial Layer Conv { get; }" },
        { "GlobalAvgPool", "[Conv(2, Kernel = 3, Pad = 1), Relu, GlobalAvgPool] public partial Layer Conv { get; } [Dense(3)] public partial Layer Fc { get; }" },
        { "Dropout", "[Dense(4), Dropout(0.25f)] public partial Layer Fc { get; }" },
        { "Softmax", "[Dense(3), Softmax] public partial Layer Fc { get; }" },
        { "LeakyRelu", "[Conv(2, Kernel = 3), LeakyRelu(0.2f)] public partial Layer Conv { get; } [Dense(3)] public partial Layer Fc { get; }" },
        { "Elu", "[Conv(2, Kernel = 3), Elu] public partial Layer Conv { get; } [Dense(3)] public partial Layer Fc { get; }" },
        { "Gelu", "[Conv(2, Kernel = 3), Gelu] public partial Layer Conv { get; } [Dense(3)] public partial Layer Fc { get; }" },
        { "Sigmoid", "[Conv(2, Kernel = 3), Sigmoid] public partial Layer Conv { get; } [Dense(3)] public partial Layer Fc { get; }" },
        { "Tanh", "[Conv(2, Kernel = 3), Tanh] public partial Layer Conv { get; } [Dense(3)] public partial Layer Fc { get; }" },
        { "BatchNorm", "[Conv(2, Kernel = 3, Bias = false), BatchNorm, Relu] public partial Layer Conv { get; } [Dense(3, Bias = false), BatchNorm] public partial Layer Fc { get; }" },
        { "Add", "[Conv(2, Kernel = 3, Pad = 1), Relu] public partial Layer Conv { get; } [Conv(2, Kernel = 3, Pad = 1), Add(nameof(Conv)), Relu] public partial Layer Block { get; } [Dense(3)] public partial Layer Fc { get; }" },
        { "Input", "[Conv(2, Kernel = 3, Pad = 1), Relu] public partial Layer Conv { get; } [Conv(2, Kernel = 1), Gelu] public partial Layer Side { get; } [Conv(2, Kernel = 3, Pad = 1, Input = nameof(Conv)), Add(nameof(Side)), Tanh] public partial Layer Block { get; } [Dense(3)] public partial Layer Fc { get; }" },
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public void EachOperationsGeneratedCodeMatchesItsSnapshot(string operation, string layer)
    {
        string source = $$"""
            using NetGen;
            namespace Probes;
            [Network(Channels = 2, Height = 6, Width = 6)]
            public sealed partial class {{operation}}Probe
            {
                {{layer}}
            }
            """;
        var (result, output) = GeneratorHarness.Run(("Probe.cs", source));

        Assert.Empty(GeneratorHarness.Diagnostics(result));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        foreach (string file in new[] { "Kernels", "BackwardKernels", "Cpu" })
        {
            var generated = result.GeneratedSources.Single(s => s.HintName == $"Probes.{operation}Probe.{file}.g.cs");
            Snapshot.Verify($"Operation.{operation}.{file}", "cs", generated.SourceText.ToString());
        }
    }
}
