using System;
using System.IO;
using System.Linq;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Commands;

/// <summary>The README's code, as a newcomer pastes it.</summary>
public class ReadmeTests
{
    /// <summary>The C# block of the README that starts with <paramref name="firstLine"/>.</summary>
    private static string Block(string firstLine)
    {
        string readme = File.ReadAllText(Path.Combine(GeneratorHarness.RepositoryRoot, "README.md")).Replace("\r", "");
        var blocks = readme.Split("```csharp\n").Skip(1).Select(b => b[..b.IndexOf("```", StringComparison.Ordinal)]);
        return blocks.Single(b => b.StartsWith(firstLine, StringComparison.Ordinal));
    }

    [Fact]
    public void TheOwnProjectNetworkCompilesAsPastedWithNoGlobalUsings()
    {
        // A project without ImplicitUsings and without a global using NetGen: the file must bring its own.
        var (result, output) = GeneratorHarness.Run(("FashionNet.cs", Block("// FashionNet.cs")));
        Assert.Empty(GeneratorHarness.Diagnostics(result));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        Assert.Contains(output.SyntaxTrees, t => t.FilePath.EndsWith("FashionNet.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void TheOwnProjectStepsNameTheSourceOfThePackedPackages()
    {
        string readme = File.ReadAllText(Path.Combine(GeneratorHarness.RepositoryRoot, "README.md"));
        Assert.Contains("dotnet nuget add source", readme);
        Assert.Contains("artifacts/packages", readme);
        Assert.Contains("dotnet add package NetGen.Cli --version 0.1.0", readme);
    }
}
