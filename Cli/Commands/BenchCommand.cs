using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using NetGen.Cpu;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen bench &lt;network&gt;</c>: times the forward pass (evaluation mode) and the training step
/// (forward, loss, backward, update) after a warm-up, and reports the median as images per second
/// and GFLOP/s. On the CPU backend it also times every fused group and measures the backend's own
/// matrix product on 1536^3 in the same run, so each convolution's rate stands beside it.
/// </summary>
internal static class BenchCommand
{
    private const int GemmSize = 1536;

    public static int Run(Options options)
    {
        string name = options.Positional(0, "network name");
        int batch = options.Int("--batch", 16);
        int warmup = options.Int("--warmup", 3);
        int iterations = options.Int("--iterations", 5);
        bool json = options.Flag("--json");
        var log = json ? Console.Error : Console.Out;
        using var device = Device.Open(options.String("--device", "auto"));
        using var network = NamedNetworks.Get(name).Create(device, 1);
        int devices = options.Int("--devices", 1);
        using var trainer = devices > 1 ? new PartitionedTrainer(network, devices, seed: 2) : new Trainer(network, seed: 2);
        var info = network.Info;
        log.WriteLine($"{info.Name} on {device}, batch {batch}: {warmup} warm-up and {iterations} timed runs each" +
            (devices > 1 ? $"; the training step split over {devices} CPU devices by the partition plan" : ""));

        var images = new float[batch * info.Input.Size];
        for (int i = 0; i < images.Length; i++)
            images[i] = CounterHash.Uniform(3, 0, (ulong)i) * 2f - 1f;
        var labels = Enumerable.Range(0, batch).Select(n => (int)(CounterHash.Uniform(3, 1, (ulong)n) * info.Output.Size)).ToArray();
        var (forward, _) = trainer.PassesFor(batch);

        bool profile = network.Backend == Backend.Cpu && devices == 1;
        double forwardSeconds = Median(warmup, iterations, () => forward.Run(images), profile, log, "forward");
        var forwardGroups = Snapshot(iterations);
        // A small learning rate: the weights move, but stay where the forward timing found them.
        double trainSeconds = Median(warmup, iterations, () => trainer.Train(images, labels, 1e-4f), profile, log, "train");
        var trainGroups = Snapshot(iterations);

        double forwardFlops = 2.0 * info.MultiplyAdds * batch, trainFlops = 3 * forwardFlops;
        var result = new Dictionary<string, object>
        {
            ["network"] = info.Name.ToLowerInvariant(),
            ["device"] = device.Kind,
            ["batch"] = batch,
            ["devices"] = devices,
            ["threads"] = Environment.ProcessorCount,
            ["forward_images_per_second"] = Round(batch / forwardSeconds),
            ["train_images_per_second"] = Round(batch / trainSeconds),
            ["forward_ms"] = Round(forwardSeconds * 1e3),
            ["train_ms"] = Round(trainSeconds * 1e3),
            ["forward_gflops"] = Round(forwardFlops / forwardSeconds / 1e9),
            ["train_gflops"] = Round(trainFlops / trainSeconds / 1e9),
        };
        log.WriteLine($"forward: {batch / forwardSeconds,8:0.0} images/s  {forwardSeconds * 1e3,8:0.0} ms  {forwardFlops / forwardSeconds / 1e9,6:0.0} GFLOP/s");
        log.WriteLine($"train:   {batch / trainSeconds,8:0.0} images/s  {trainSeconds * 1e3,8:0.0} ms  {trainFlops / trainSeconds / 1e9,6:0.0} GFLOP/s (3x the forward FLOPs)");

        if (profile)
        {
            double gemm = MatrixProduct.MeasureGflops(GemmSize);
            result["gemm_gflops"] = Round(gemm);
            result["groups"] = Groups(info, batch, forwardGroups, trainGroups, gemm, log);
        }
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static double Median(int warmup, int iterations, Action run, bool profile, System.IO.TextWriter log, string what)
    {
        for (int i = 0; i < warmup; i++)
            run();
        CpuProfiler.Reset();
        CpuProfiler.Enabled = profile;
        var times = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            log.Write($"\r{what}: run {i + 1}/{iterations}, {times[i] * 1e3:0.0} ms   ");
        }
        CpuProfiler.Enabled = false;
        log.Write("\r" + new string(' ', 48) + "\r");
        Array.Sort(times);
        return times[iterations / 2];
    }

    /// <summary>Milliseconds per run of each (pass, group) the profiler saw.</summary>
    private static Dictionary<(string Pass, string Group), double> Snapshot(int iterations) =>
        CpuProfiler.Totals.ToDictionary(kv => kv.Key, kv => kv.Value.Seconds * 1e3 / iterations);

    /// <summary>Prints and returns each group's time; a layer's main group also gets its GFLOP/s and its share of the matrix product's.</summary>
    private static List<Dictionary<string, object>> Groups(NetworkInfo info, int batch,
        Dictionary<(string Pass, string Group), double> forward, Dictionary<(string Pass, string Group), double> train, double gemm, System.IO.TextWriter log)
    {
        log.WriteLine($"matrix product {GemmSize}^3: {gemm:0.0} GFLOP/s");
        log.WriteLine($"{"group",-16}{"forward ms",12}{"GFLOP/s",10}{"of GEMM",9}{"backward ms",13}{"GFLOP/s",10}");
        var rows = new List<Dictionary<string, object>>();
        foreach (var ((_, group), ms) in forward)
        {
            var layer = info.Layers.FirstOrDefault(l => l.Name == group);
            double flops = layer is null ? 0 : 2.0 * layer.MultiplyAdds * batch;
            double backwardMs = train.GetValueOrDefault(("backward", group));
            var row = new Dictionary<string, object> { ["group"] = group, ["forward_ms"] = Round(ms), ["backward_ms"] = Round(backwardMs) };
            string rates = "";
            if (flops > 0)
            {
                // The first layer's backward computes no input gradient: one product, not two.
                double backwardFlops = layer == info.Layers[0] ? flops : 2 * flops;
                double gflops = flops / ms / 1e6, backwardGflops = backwardFlops / backwardMs / 1e6;
                row["forward_gflops"] = Round(gflops);
                row["forward_fraction_of_gemm"] = Round(gflops / gemm);
                row["backward_gflops"] = Round(backwardGflops);
                rates = $"{gflops,10:0.0}{gflops / gemm,9:P0}{backwardMs,13:0.00}{backwardGflops,10:0.0}";
            }
            else
            {
                rates = $"{"",10}{"",9}{backwardMs,13:0.00}";
            }
            log.WriteLine($"{group,-16}{ms,12:0.00}{rates}");
            rows.Add(row);
        }
        double loss = train.GetValueOrDefault(("backward", "loss"));
        log.WriteLine($"{"loss",-16}{"",12}{"",10}{"",9}{loss,13:0.00}");
        return rows;
    }

    private static double Round(double value) => Math.Round(value, 3, MidpointRounding.AwayFromZero);
}
