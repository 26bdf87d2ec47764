using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetGen.Generator;

namespace NetGen.Tests.Infrastructure;

/// <summary>Runs the NetGen generator in-process over C# sources, as the compiler would during a build.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var extra = new[] { typeof(NetworkAttribute).Assembly.Location, typeof(ILGPU.Index1D).Assembly.Location, typeof(ILGPU.Algorithms.XMath).Assembly.Location };
        return platform.Concat(extra).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    });

    /// <summary>A compilation of <paramref name="sources"/> (path, text) with the runtime referenced.</summary>
    public static CSharpCompilation Compile(params (string Path, string Text)[] sources) =>
        CSharpCompilation.Create("Probe",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create(
            [new NetworkGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its result and the compilation with the generated files added.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(params (string Path, string Text)[] sources)
    {
        var driver = Driver().RunGeneratorsAndUpdateCompilation(Compile(sources), out var output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    /// <summary>The NG diagnostics of a run, which must not include a generator crash.</summary>
    public static ImmutableArray<Diagnostic> Diagnostics(GeneratorRunResult result)
    {
        Assert.Null(result.Exception);
        return result.Diagnostics;
    }

    /// <summary>Errors in the user's code plus the generated code, which should be none for a sound network.</summary>
    public static IEnumerable<Diagnostic> CompileErrors(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>The repository's root, found from this file's build output.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NetGen.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("NetGen.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
