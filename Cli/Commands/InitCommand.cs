using System;
using System.CommandLine;

namespace NetGen.CommandLine;

/// <summary><c>netgen init &lt;network&gt; --seed S --out W.safetensors</c>: writes a network's initial weights.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var network = Options.Network();
        var seed = Options.Seed("the initialisation's seed: the same seed gives the same weights on every device", 0);
        var output = Options.Path("--out", "the safetensors file to write", "W.safetensors", required: true);
        var device = Options.Device();
        var command = new Command("init", "Write a network's initial weights, with PyTorch's names and layouts.") { network, seed, output, device };
        command.SetAction(parsed => Run(parsed.GetValue(network)!, parsed.GetValue(seed), parsed.GetValue(output)!, parsed.GetValue(device)!));
        return Verbs.WithExamples(command, "init alexnet --seed 7 --out alexnet.safetensors");
    }

    private static int Run(string name, ulong seed, string output, string deviceKind)
    {
        using var device = Device.Open(deviceKind);
        using var network = NamedNetworks.Get(name).Create(device, seed);
        Checkpoint.Save(output, network.Info, network.ReadParameters(), momentum: null, TrainingState.Initial with { Seed = seed });
        Console.WriteLine($"{network.Info.Name}: {network.Info.DescribeParameters()} in {network.Info.Parameters.Count} tensors from seed {seed} -> {output}");
        return 0;
    }
}
