using System;

namespace NetGen.CommandLine;

/// <summary><c>netgen init &lt;network&gt; --seed S --out W.safetensors</c>: writes a network's initial weights.</summary>
internal static class InitCommand
{
    public static int Run(Options options)
    {
        string name = options.Positional(0, "network name");
        ulong seed = options.ULong("--seed", 0);
        string output = options.Required("--out");
        using var device = Device.Open(options.String("--device", "auto"));
        using var network = NamedNetworks.Get(name).Create(device, seed);
        Checkpoint.Save(output, network.Info, network.ReadParameters(), momentum: null, TrainingState.Initial with { Seed = seed });
        Console.WriteLine($"{network.Info.Name}: {network.Info.ParameterCount:N0} parameters in {network.Info.Parameters.Count} tensors from seed {seed} -> {output}");
        return 0;
    }
}
