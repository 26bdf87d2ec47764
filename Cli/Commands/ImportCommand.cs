using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen import model.onnx --name Foo --out DIR</c>: an ONNX model whose operators NetGen's
/// language covers, as a <c>[Network]</c> declaration (<c>DIR/Foo.cs</c>) and its weights
/// (<c>DIR/Foo.safetensors</c>); a model it does not cover is refused in one line naming the node,
/// and nothing is written.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "the ONNX model to import", HelpName = "model.onnx" };
        var name = new Option<string>("--name")
        {
            Description = "the network's class name (by default the model's file name as a C# name: resnet-18.onnx gives Resnet18)",
            HelpName = "Name",
        };
        var output = Options.Path("--out", "the folder to write Name.cs and Name.safetensors into (created if missing)", "DIR", ".");
        var space = new Option<string>("--namespace") { Description = "the namespace to declare the network in (by default none)", HelpName = "NS" };
        var command = new Command("import", "Read an ONNX model into a [Network] declaration and its weights, or say which node NetGen's language lacks.")
        {
            model, name, output, space,
        };
        command.SetAction(parsed => Run(parsed.GetValue(model)!, parsed.GetValue(name), parsed.GetValue(output)!, parsed.GetValue(space)));
        return Verbs.WithExamples(command, "import resnet18.onnx --name ResNet18 --out Networks --namespace MyNets",
            "import minialexnet.onnx --name Mini --out imported");
    }

    private static int Run(string model, string? name, string output, string? space)
    {
        name ??= DefaultName(model);
        ImportedNetwork network;
        try
        {
            network = OnnxImport.Read(model, name, space);
        }
        catch (ArgumentException e) when (e.ParamName is "name" or "namespaceName")
        {
            throw new UsageException(e.ParamName == "name" ? $"--name: '{name}' is not a C# class name" : $"--namespace: '{space}' is not a C# namespace");
        }
        var (declaration, weights) = network.Write(output);
        long parameters = network.Tensors.Sum(t => t.ElementCount);
        Console.WriteLine($"{model}: {network.LayerCount} layers, {parameters:N0} values -> {declaration} and {weights}");
        return 0;
    }

    /// <summary>The model's file name as a class name: its letters and digits, each word capitalised, never starting with a digit.</summary>
    private static string DefaultName(string model)
    {
        var words = Regex.Split(Path.GetFileNameWithoutExtension(model), "[^A-Za-z0-9]+");
        string name = string.Concat(words.Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
        return name.Length == 0 || char.IsDigit(name[0]) ? "Imported" + name : name;
    }
}
