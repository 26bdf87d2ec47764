using System.IO;
using System.Linq;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Interchange;

namespace NetGen.Tests.Commands;

/// <summary><c>netgen import</c>: a model in, a declaration and its weights out; a model NetGen cannot express, one line and nothing written.</summary>
[Collection(ConsoleCollection.Name)]
public class ImportCommandTests
{
    [Fact]
    public void ImportWritesTheDeclarationAndWeightsThatTheOriginalsParametersLoadFrom()
    {
        using var folder = new TemporaryFolder();
        var info = NetworkCatalog.Find("minialexnet")!.Info;
        var parameters = OnnxExportTests.RandomParameters(info, 4);
        string model = folder.File("minialexnet.onnx"), output = Path.Combine(folder.Path, "imported");
        OnnxExport.Write(info, parameters, model);

        var (code, printed, error) = CommandLineTests.Netgen("import", model, "--name", "Mini", "--out", output, "--namespace", "My.Nets");
        Assert.True(code == 0, error);
        Assert.Equal($"{model}: 8 layers, {parameters.Length:N0} values -> {Path.Combine(output, "Mini.cs")} and {Path.Combine(output, "Mini.safetensors")}",
            printed.TrimEnd(), ignoreLineEndingDifferences: true);
        string declaration = File.ReadAllText(Path.Combine(output, "Mini.cs"));
        Assert.Contains("namespace My.Nets;", declaration);
        Assert.Contains("public sealed partial class Mini", declaration);
        // MiniAlexNet's own layer names, so its own description reads the weights: the exported ones, bit for bit.
        var loaded = Checkpoint.Load(Path.Combine(output, "Mini.safetensors"), info).Parameters;
        Assert.Equal(parameters.Length, loaded.Length);
        Assert.True(parameters.SequenceEqual(loaded));
    }

    [Fact]
    public void WithoutANameTheModelsFileNameIsTheClassName()
    {
        using var folder = new TemporaryFolder();
        var info = NetworkCatalog.Find("resnet8")!.Info;
        string model = folder.File("resnet-8.onnx");
        OnnxExport.Write(info, OnnxExportTests.RandomParameters(info, 4), model);
        var (code, _, error) = CommandLineTests.Netgen("import", model, "--out", folder.Path);
        Assert.True(code == 0, error);
        Assert.Contains("public sealed partial class Resnet8", File.ReadAllText(Path.Combine(folder.Path, "Resnet8.cs")));
    }

    [Fact]
    public void AModelNetGenCannotExpressIsOneLineAndNothingIsWritten()
    {
        using var folder = new TemporaryFolder();
        string model = OnnxImportRefusalTests.Build("resize").Save(folder.File("upsample.onnx")), output = Path.Combine(folder.Path, "out");
        var (code, printed, error) = CommandLineTests.Netgen("import", model, "--name", "Upsample", "--out", output);
        Assert.Equal(1, code);
        Assert.Equal("", printed);
        Assert.Equal($"netgen: {model}: node \"x/Resize\" (Resize) has no counterpart in NetGen's language", error.TrimEnd());
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void ANameThatIsNotACSharpNameIsAWrongCommandLine()
    {
        var (code, _, error) = CommandLineTests.Netgen("import", "model.onnx", "--name", "2fast");
        Assert.Equal(2, code);
        Assert.StartsWith("netgen: --name: '2fast' is not a C# class name", error);
    }
}
