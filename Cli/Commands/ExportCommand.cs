using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen export &lt;network&gt; --weights W.safetensors --onnx model.onnx</c>: the network in
/// evaluation mode with its weights as an ONNX model; <c>--pytorch model.py</c>: its PyTorch twin.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var network = Options.Network();
        var weights = Options.Path("--weights", "the weights to export (a checkpoint or `netgen init`'s file); needed with --onnx", "W.safetensors");
        var onnx = Options.Path("--onnx", "write the network with its weights as an ONNX model (opset 17, batch dimension open)", "model.onnx");
        var pytorch = Options.Path("--pytorch", "write the network as a PyTorch nn.Module whose state_dict() has NetGen's tensor names", "model.py");
        var command = new Command("export", "Write a network as an ONNX model (with its weights) or as a PyTorch module.") { network, weights, onnx, pytorch };
        command.SetAction(parsed => Run(parsed.GetValue(network)!, parsed.GetValue(weights), parsed.GetValue(onnx), parsed.GetValue(pytorch)));
        return Verbs.WithExamples(command, "export minialexnet --weights runs/minialexnet-20261206-120000/best.safetensors --onnx minialexnet.onnx",
            "export resnet8 --pytorch resnet8.py");
    }

    private static int Run(string name, string? weights, string? onnx, string? pytorch)
    {
        if (onnx is null && pytorch is null)
            throw new UsageException("say what to write: --onnx model.onnx, --pytorch model.py, or both");
        var info = NamedNetworks.Get(name).Info;
        if (pytorch is not null)
        {
            File.WriteAllText(pytorch, info.PyTorch ?? throw new UsageException($"{info.Name} was built without its PyTorch twin; rebuild it with this version of NetGen"));
            Console.WriteLine($"{info.Name}: PyTorch module -> {pytorch}");
        }
        if (onnx is not null)
        {
            if (weights is null)
                throw new UsageException("--onnx writes the weights into the model: say which with --weights W.safetensors (`netgen init` writes initial ones)");
            var checkpoint = Checkpoint.Load(weights, info);
            var metadata = new Dictionary<string, string> { ["netgen.network"] = info.Name, ["netgen.weights"] = Path.GetFileName(weights) };
            if (checkpoint.Metadata.TryGetValue(TrainingRun.ClassesKey, out var classes))
                metadata[TrainingRun.ClassesKey] = classes;
            OnnxExport.Write(info, checkpoint.Parameters, onnx, metadata);
            Console.WriteLine($"{info.Name}: {info.DescribeParameters()} from {weights} -> {onnx} (ONNX opset {OnnxExport.Opset}, input \"{info.Onnx!.Input}\" (batch, {info.Input}), output \"{info.Onnx.Output}\")");
        }
        return 0;
    }
}
