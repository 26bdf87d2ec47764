using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen step &lt;network&gt; --weights W --input X --out O [--no-dropout]</c>: one forward and
/// backward pass on the batch in X with no update. Writes the logits, the loss and every parameter's
/// gradient, named as PyTorch names them, so another framework can be compared on the same weights.
/// </summary>
internal static class StepCommand
{
    public static int Run(Options options)
    {
        string name = options.Positional(0, "network name");
        string weights = options.Required("--weights"), input = options.Required("--input"), output = options.Required("--out");
        bool dropout = !options.Flag("--no-dropout");
        using var device = Device.Open(options.String("--device", "auto"));
        Console.WriteLine($"device: {device}");

        using var network = NamedNetworks.Get(name).Create(device, 0);
        int devices = options.Int("--devices", 1);
        if (devices > 1 && options.Flag("--activations"))
            throw new UsageException("--activations reads one device's buffers; with --devices each device holds only its slices");
        using var trainer = devices > 1 ? new PartitionedTrainer(network, devices) : new Trainer(network);
        if (trainer is PartitionedTrainer split)
            Console.WriteLine($"split over {devices} devices: {string.Join(", ", split.Devices)}");
        var checkpoint = trainer.Load(weights);
        var batch = BatchFile.Read(input, network.Info);
        var clock = Stopwatch.StartNew();
        var result = trainer.ComputeGradients(batch.Images, batch.Labels, dropout);
        double seconds = clock.Elapsed.TotalSeconds;

        var (forward, backward) = trainer.PassesFor(batch.Labels.Length);
        long n = batch.Labels.Length;
        long[] Dims(Shape s) => s.IsVector ? [n, s.Channels] : [n, s.Channels, s.Height, s.Width]; // NCHW, or (N, units)
        var gradients = trainer.ReadGradients();
        var tensors = new List<SafeTensor>
        {
            SafeTensor.Float32("logits", trainer.ReadLogits(batch.Labels.Length), Dims(network.Info.Output)),
            SafeTensor.Float32("loss", [(float)result.Loss]),
        };
        foreach (var p in network.Info.Parameters)
            tensors.Add(SafeTensor.Float32(p.Name + ".grad", gradients.AsSpan((int)p.Offset, (int)p.Count).ToArray(), p.Dimensions.Select(d => (long)d).ToArray()));
        if (options.Flag("--activations"))
        {
            // For finding where two frameworks part: every activation, and the gradient of each
            // before its group's epilogue (the pre-ReLU gradient, as a hook on a convolution sees it).
            foreach (var a in forward.Activations.Skip(1))
                tensors.Add(SafeTensor.Float32("activation." + a, forward.Read(a), Dims(forward.ShapeOf(a))));
            foreach (var a in backward.Gradients)
                tensors.Add(SafeTensor.Float32("activation." + a + ".grad", backward.ReadGradient(a), Dims(forward.ShapeOf(a))));
        }
        SafeTensorsFile.Write(output, tensors, new Dictionary<string, string>
        {
            ["netgen.network"] = network.Info.Name,
            ["dropout"] = dropout ? $"on, seed {trainer.Seed}, step {trainer.Step}" : "off",
            ["top1"] = result.Top1.ToString(CultureInfo.InvariantCulture),
            ["top5"] = result.Top5.ToString(CultureInfo.InvariantCulture),
        });
        Console.WriteLine($"{network.Info.Name}, {n} images, weights from {weights} (step {checkpoint.State.Step}), dropout {(dropout ? "on" : "off")}: " +
            $"loss {result.Loss.ToString("0.000000", CultureInfo.InvariantCulture)}, top-1 {result.Top1}/{n}, top-5 {result.Top5}/{n}");
        Console.WriteLine($"forward and backward in {seconds:0.000} s ({3.0 * 2 * network.Info.MultiplyAdds * n / seconds / 1e9:0.00} GFLOP/s, counting backward as twice forward)");
        Console.WriteLine($"wrote logits, loss and {network.Info.Parameters.Count} gradients to {output}");
        return 0;
    }
}
