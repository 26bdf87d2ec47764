using System.Linq;
using NetGen.Generator;
using NetGen.Generator.Model;
using NetGen.Generator.Parsing;
using Ops = NetGen.Generator.Operations;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

/// <summary>
/// The generator reads attribute applications as syntax, taking every setting left out from an
/// attribute it constructs from the attributes' own sources (compiled into it). This holds the
/// result to the runtime's attributes: an operation written with no settings must parse to the
/// values the runtime attribute reports for itself.
/// </summary>
public class DefaultsTests
{
    [Fact]
    public void ParsedDefaultsEqualTheAttributesOwn()
    {
        var compilation = GeneratorHarness.Compile(("Probe.cs", """
            using NetGen;
            [Network(Channels = 2, Height = 8, Width = 8)]
            public partial class Net
            {
                [Conv(4, Kernel = 3), Lrn(3), MaxPool(2), AvgPool(2)] public partial Layer Conv { get; }
                [Dense(5), Dropout(0.5f), LeakyRelu, Elu] public partial Layer Fc { get; }
            }
            """));
        var run = GeneratorHarness.Driver().RunGenerators(compilation).GetRunResult().Results.Single();
        var spec = ((ParseResult)run.TrackedSteps[StepNames.Parse].Single().Outputs.Single().Value).Spec!;

        var conv = (Ops.Conv)spec.Layers[0].Ops[0];
        var convAttribute = new ConvAttribute(4) { Kernel = 3 };
        Assert.Equal((convAttribute.Stride, convAttribute.Pad, convAttribute.Groups, (int)convAttribute.Round), (conv.Stride, conv.Pad, conv.Groups, (int)conv.Round));
        AssertLearn(convAttribute, conv.Learn);
        AssertLearn(new DenseAttribute(5), ((Ops.Dense)spec.Layers[1].Ops[0]).Learn);

        var lrn = (Ops.Lrn)spec.Layers[0].Ops[1];
        var lrnAttribute = new LrnAttribute(3);
        Assert.Equal((lrnAttribute.Alpha, lrnAttribute.Beta, lrnAttribute.K, lrnAttribute.AlphaConvention == LrnAlpha.DividedBySize),
            (lrn.Alpha, lrn.Beta, lrn.K, lrn.AlphaDividedBySize));

        foreach (var (pool, attribute) in new[] { ((Ops.Pool)spec.Layers[0].Ops[2], (PoolAttribute)new MaxPoolAttribute(2)), ((Ops.Pool)spec.Layers[0].Ops[3], new AvgPoolAttribute(2)) })
            Assert.Equal((attribute.Stride, attribute.Pad, (int)attribute.Round), (pool.Stride, pool.Pad, (int)pool.Round));
        Assert.Equal(new LeakyReluAttribute().Slope, ((Ops.LeakyRelu)spec.Layers[1].Ops[2]).Slope);
        Assert.Equal(new EluAttribute().Alpha, ((Ops.Elu)spec.Layers[1].Ops[3]).Alpha);
        Assert.Equal(new NetworkAttribute().Columns, spec.Columns);
    }

    /// <summary>
    /// An enum written in [TrainingDefaults] reaches the generated registration by its full name from
    /// global::, so it compiles even in a namespace with a NetGen of its own.
    /// </summary>
    [Fact]
    public void AnOptimizerDeclaredInTrainingDefaultsCompilesInTheRegistration()
    {
        var (result, output) = GeneratorHarness.Run(("Probe.cs", """
            using NetGen;
            namespace App.NetGen
            {
                [Network(Channels = 1, Height = 4, Width = 4)]
                [TrainingDefaults(Optimizer = Optimizer.AdamW, Nesterov = false, Beta2 = 0.99f, Epsilon = 1e-6f)]
                public partial class Net
                {
                    [Dense(3)] public partial Layer Fc { get; }
                }
            }
            """));
        Assert.Empty(GeneratorHarness.Diagnostics(result).Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        string registration = result.GeneratedSources.Single(s => s.HintName.EndsWith("Net.g.cs", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("new global::NetGen.TrainingDefaultsAttribute { Optimizer = global::NetGen.Optimizer.AdamW, Nesterov = false, Beta2 = 0.99f, Epsilon = 1E-06f }", registration);
    }

    /// <summary>A schedule declared in [TrainingDefaults] reaches the registration by its global:: name, with its settings.</summary>
    [Fact]
    public void AScheduleDeclaredInTrainingDefaultsCompilesInTheRegistration()
    {
        var (result, output) = GeneratorHarness.Run(("Probe.cs", """
            using NetGen;
            namespace App.NetGen
            {
                [Network(Channels = 1, Height = 4, Width = 4)]
                [TrainingDefaults(Schedule = Schedule.Cosine, Warmup = 2, MinLearningRate = 1e-4f, StepSize = 5, Gamma = 0.5f)]
                public partial class Net
                {
                    [Dense(3)] public partial Layer Fc { get; }
                }
            }
            """));
        Assert.Empty(GeneratorHarness.Diagnostics(result).Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        string registration = result.GeneratedSources.Single(s => s.HintName.EndsWith("Net.g.cs", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("new global::NetGen.TrainingDefaultsAttribute { Schedule = global::NetGen.Schedule.Cosine, Warmup = 2, MinLearningRate = 0.0001f, StepSize = 5, Gamma = 0.5f }", registration);
        var options = TrainingOptions.From(new TrainingDefaultsAttribute { Schedule = Schedule.Cosine, Warmup = 2, MinLearningRate = 1e-4f });
        Assert.Equal((Schedule.Cosine, 2, 1e-4f, 30, 0.1f), (options.Schedule, options.Warmup, options.MinLearningRate, options.StepSize, options.Gamma));
        // Weight decay spares biases and batch normalisation's parameters unless a declaration asks for the paper's rule,
        // which AlexNet and MiniAlexNet do; options made without a declaration (an old checkpoint's) keep that rule.
        Assert.False(options.DecayAll);
        Assert.True(TrainingOptions.From(NetworkCatalog.Find("MiniAlexNet")!.Defaults).DecayAll);
        Assert.True(new TrainingOptions().DecayAll);
    }

    private static void AssertLearn(LearnableAttribute attribute, Ops.Learning learn) =>
        Assert.Equal(
            (attribute.WeightStd, attribute.BiasInit, attribute.LrMult, attribute.BiasLrMult, attribute.DecayMult, attribute.BiasDecayMult),
            (learn.WeightStd, learn.BiasInit, learn.LrMult, learn.BiasLrMult, learn.DecayMult, learn.BiasDecayMult));
}
