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
        string path = Path.Combine(GeneratorHarness.RepositoryRoot, "Networks", "AlexNet.cs");
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
}
