using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Interchange;

/// <summary>
/// Every network <see cref="OnnxExportTests"/> exports, exported with random weights and imported
/// again, a model built by hand as PyTorch exports one (<see cref="TorchStyleModel"/>) and two for what
/// no exporter here writes (<see cref="HandBuiltModels"/>): each
/// declaration and its weights written to disk, and all declarations built together, with the
/// generator, into one assembly loaded here (one compilation: the generator's output for twenty
/// networks compiles once).
/// </summary>
public sealed class ImportedNetworks : IDisposable
{
    /// <summary>The name of the hand-built, PyTorch-style model among the <see cref="Cases"/>.</summary>
    public const string TorchStyle = "TorchStyle";

    /// <summary>The hand-built models for what no exporter here writes (<see cref="HandBuiltModels"/>).</summary>
    public const string Vector = "VectorModel", SamePadding = "SamePaddingModel";

    private readonly TemporaryFolder folder = new();
    private readonly Assembly assembly;

    public ImportedNetworks()
    {
        using var device = Device.Open("cpu");
        var cases = new Dictionary<string, ImportCase>();
        foreach (string name in OnnxExportTests.Networks().Cast<object[]>().Select(row => (string)row[0]))
        {
            using var network = OnnxExportTests.Create(name, device, 1);
            var parameters = OnnxExportTests.RandomParameters(network.Info, 11);
            string onnx = folder.File(name + ".onnx");
            OnnxExport.Write(network.Info, parameters, onnx);
            cases[name] = Import(onnx, "Imported" + name, network.Info, parameters);
        }
        cases[TorchStyle] = Import(TorchStyleModel.Build().Save(folder.File("torch-style.onnx")), TorchStyle, null, null);
        cases[Vector] = Import(HandBuiltModels.Vector().Save(folder.File("vector.onnx")), Vector, null, null);
        cases[SamePadding] = Import(HandBuiltModels.SamePadding().Save(folder.File("same-padding.onnx")), SamePadding, null, null);
        Cases = cases;

        var (result, output) = GeneratorHarness.Run(cases.Values.Select(c => (c.Declaration, File.ReadAllText(c.Declaration))).ToArray());
        var errors = GeneratorHarness.Diagnostics(result).Concat(GeneratorHarness.CompileErrors(output)).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("the imported declarations do not build:\n" + string.Join("\n", errors.Take(20)));
        var compilation = (CSharpCompilation)output;
        compilation = compilation.WithOptions(compilation.Options.WithOptimizationLevel(OptimizationLevel.Release).WithAllowUnsafe(true));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success)
            throw new InvalidOperationException("the imported declarations do not emit:\n" + string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20)));
        image.Position = 0;
        assembly = new AssemblyLoadContext("imported-networks").LoadFromStream(image);
    }

    /// <summary>Each imported model, by the name of the network it was exported from.</summary>
    public IReadOnlyDictionary<string, ImportCase> Cases { get; }

    /// <summary>The compiled import's description, as the generator worked it out.</summary>
    public NetworkInfo Info(ImportCase c) =>
        (NetworkInfo)ClassOf(c).GetProperty("Description", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>The compiled import on <paramref name="device"/>, its weights loaded from the written file.</summary>
    public Network Create(ImportCase c, Device device)
    {
        var network = (Network)Activator.CreateInstance(ClassOf(c), device, 1UL)!;
        network.WriteParameters(Checkpoint.Load(c.Weights, network.Info).Parameters);
        return network;
    }

    private Type ClassOf(ImportCase c) => assembly.GetType(c.Imported.Name) ?? throw new InvalidOperationException($"{c.Imported.Name} was not compiled");

    private ImportCase Import(string onnx, string name, NetworkInfo? original, float[]? parameters)
    {
        var imported = OnnxImport.Read(onnx, name);
        var (declaration, weights) = imported.Write(folder.File(name));
        return new ImportCase(onnx, imported, declaration, weights, original, parameters);
    }

    public void Dispose() => folder.Dispose();
}

/// <summary>One imported model: its ONNX file, the import and its two files, and where it was exported from NetGen, the original.</summary>
public sealed record ImportCase(string Onnx, ImportedNetwork Imported, string Declaration, string Weights, NetworkInfo? Original, float[]? OriginalParameters);
