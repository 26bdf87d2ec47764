using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetGen.Generator;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

/// <summary>The incremental pipeline reuses its work when nothing a network depends on changed.</summary>
public class CachingTests
{
    private static (GeneratorDriver Driver, Compilation Compilation) FirstRun()
    {
        string path = Path.Combine(GeneratorHarness.RepositoryRoot, "Runtime", "Networks", "AlexNet.cs");
        var compilation = GeneratorHarness.Compile((path, File.ReadAllText(path)));
        return (GeneratorHarness.Driver().RunGenerators(compilation), compilation);
    }

    [Fact]
    public void UnrelatedEditLeavesEveryStepCached()
    {
        var (driver, compilation) = FirstRun();
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { int x = 1; }", GeneratorHarness.ParseOptions, "Unrelated.cs"));

        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in new[] { StepNames.Parse, StepNames.Analyze, StepNames.Diagnostics, StepNames.Model, StepNames.Plan })
        {
            var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void MovingTheNetworkInItsFileRegeneratesNoCode()
    {
        var (driver, compilation) = FirstRun();
        var tree = compilation.SyntaxTrees.Single();
        var moved = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(0, 0, "// a comment that moves every line\n\n")));

        var result = driver.RunGenerators(moved).GetRunResult().Results.Single();

        // The spec holds locations, so it is parsed again; the analysis holds none, so it comes out
        // equal and nothing after it runs: no kernel is written again.
        Assert.All(result.TrackedSteps[StepNames.Parse].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Modified, o.Reason));
        Assert.All(result.TrackedSteps[StepNames.Analyze].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        Assert.All(result.TrackedSteps[StepNames.Plan].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void ANetworkThatTakesAnotherOnesLayersFollowsAnEditToThem()
    {
        const string Base = "using NetGen;\n[Network(Channels = 1, Height = 4, Width = 4)]\n" +
            "public sealed partial class Base { [Dense(8), Relu] public partial Layer Fc1 { get; } [Dense(10), Softmax] public partial Layer Fc2 { get; } }";
        const string Taker = "using NetGen;\n[Network(Layers = typeof(Base), Classes = 3)]\npublic sealed partial class Taker;";
        var compilation = GeneratorHarness.Compile(("Base.cs", Base), ("Taker.cs", Taker));
        var driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        Assert.Contains("ParameterCount = 163;", Source(driver, "Taker.g.cs")); // 16 x 8 + 8, then 8 x 3 + 3

        // The taker's file is untouched, but its layers live in Base's: the edit reaches its code.
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Base.cs");
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Base.Replace("Dense(8)", "Dense(6)"))));
        driver = driver.RunGenerators(edited);
        Assert.Contains("ParameterCount = 123;", Source(driver, "Taker.g.cs")); // 16 x 6 + 6, then 6 x 3 + 3
    }

    private static string Source(GeneratorDriver driver, string hint) =>
        driver.GetRunResult().Results.Single().GeneratedSources.Single(s => s.HintName == hint).SourceText.ToString();
}
