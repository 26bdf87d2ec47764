using System;
using System.CommandLine;
using System.Diagnostics;
using System.Linq;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen forward &lt;network&gt;</c>: initialises the network on a device, runs its generated
/// kernels on a random batch, and prints the time, the throughput and the first image's top classes.
/// </summary>
internal static class ForwardCommand
{
    public static Command Create()
    {
        var network = Options.Network();
        var batch = Options.PositiveInt("--batch", "images in the random batch", 2, "B");
        var seed = Options.Seed("the seed of the initial weights and of the random images", 0);
        var device = Options.Device();
        var command = new Command("forward", "Initialise a network, run its generated forward pass on a random batch, and print the time, GFLOP/s and each image's top classes.")
        {
            network, batch, seed, device,
        };
        command.SetAction(parsed => Run(parsed.GetValue(network)!, parsed.GetValue(batch), parsed.GetValue(seed), parsed.GetValue(device)!));
        return Verbs.WithExamples(command, "forward alexnet --batch 4 --device cpu");
    }

    private static int Run(string name, int batch, ulong seed, string deviceKind)
    {
        using var device = Device.Open(deviceKind);
        Console.WriteLine($"device: {device}");

        var clock = Stopwatch.StartNew();
        using var network = NamedNetworks.Get(name).Create(device, seed);
        Console.WriteLine($"{network.Info.Name}: {network.Info.DescribeParameters()} initialised from seed {seed} in {clock.Elapsed.TotalSeconds:0.00} s");

        using var pass = network.CreateForwardPass(batch);
        var images = RandomImages(batch * network.Info.Input.Size, seed);
        clock.Restart();
        pass.Run(images); // the first run compiles and loads the kernels
        double firstSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        float[] output = pass.Run(images);
        double seconds = clock.Elapsed.TotalSeconds;
        float[] logits = pass.Read(pass.LogitsName);
        Console.WriteLine($"forward pass, batch {batch}: {seconds:0.000} s ({batch / seconds:0.0} images/s, " +
            $"{2.0 * network.Info.MultiplyAdds * batch / seconds / 1e9:0.00} GFLOP/s); the first run, with kernel loading, took {firstSeconds:0.000} s");

        int classes = network.Info.Output.Size;
        for (int n = 0; n < batch; n++)
        {
            var row = output.AsSpan(n * classes, classes).ToArray();
            var top = Ranking.Top(logits.AsSpan(n * classes, classes), 5).Select(i => (p: row[i], i)); // by the logits, as eval ranks
            Console.WriteLine($"image {n}: sum {row.Sum(p => (double)p):0.000000}, top 5 " +
                string.Join(", ", top.Select(x => $"class {x.i} {x.p:0.0000}")));
        }
        return 0;
    }

    /// <summary>Uniform noise in [-1, 1), standing in for mean-subtracted images until real data arrives.</summary>
    private static float[] RandomImages(int count, ulong seed)
    {
        var images = new float[count];
        for (int i = 0; i < count; i++)
            images[i] = CounterHash.Uniform(seed, 0xDA7A, (ulong)i) * 2f - 1f;
        return images;
    }
}
