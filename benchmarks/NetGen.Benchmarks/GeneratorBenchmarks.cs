using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetGen.Generator;

namespace NetGen.Benchmarks;

/// <summary>
/// The generator's cost inside a build: a cold run over AlexNet's declaration, and the incremental
/// run after an unrelated edit, which should find everything cached.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private CSharpCompilation compilation = null!;
    private CSharpCompilation edited = null!;
    private GeneratorDriver warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "NetGen.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("NetGen.sln not found");
        string path = Path.Combine(root, "Runtime", "Networks", "AlexNet.cs");
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(NetworkAttribute).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
        compilation = CSharpCompilation.Create("AlexNet", [CSharpSyntaxTree.ParseText(File.ReadAllText(path), options, path)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { }", options));
        warm = NewDriver().RunGenerators(compilation);
    }

    private static GeneratorDriver NewDriver() =>
        CSharpGeneratorDriver.Create(new NetworkGenerator().AsSourceGenerator());

    [Benchmark(Baseline = true, Description = "AlexNet, cold")]
    public GeneratorDriver Cold() => NewDriver().RunGenerators(compilation);

    [Benchmark(Description = "AlexNet, unrelated edit (cached)")]
    public GeneratorDriver Incremental() => warm.RunGenerators(edited);
}
