using System;
using System.Collections.Generic;
using System.CommandLine;
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

    /// <summary>Warm-up lasts at least this long, whatever <c>--warmup</c> says, so the timed runs see the JIT's final code.</summary>
    private static readonly TimeSpan MinimumWarmup = TimeSpan.FromSeconds(1);

    /// <summary>Each timed iteration runs the pass as many times as fit in this, so a fast pass is not timed one short call at a time.</summary>
    private static readonly TimeSpan IterationTarget = TimeSpan.FromMilliseconds(250);

    public static Command Create()
    {
        var network = Options.Network();
        var batch = Options.PositiveInt("--batch", "images per pass", 16, "B");
        var warmup = Options.PositiveInt("--warmup", "untimed runs first (at least one second of them)", 3);
        var iterations = Options.PositiveInt("--iterations", "timed iterations; each runs the pass for about a quarter of a second, and the median is reported with the spread", 9);
        var json = Options.Flag("--json", "print one JSON object (forward_images_per_second, train_images_per_second, their min and max, gemm_gflops, groups, ...)");
        var device = Options.Device();
        var devices = Options.Devices();
        var pipeline = Options.Flag("--pipeline", "time the input pipeline instead of the network: decoding, resizing and training's augmentation, on one core and on all (with the prefetch queue, in batches of --batch or the network's training batch), and the cores that keep a GPU fed; without --data, on synthetic JPEGs");
        var data = Options.Path("--data", "the images the pipeline measures (class folders, or train/ and val/; implies --pipeline)", "DIR");
        var images = Options.PositiveInt("--images", "how many images the pipeline measures: synthetic ones to write, or that many of --data's, spread over it", 256);
        var size = Options.PositiveInt("--size", "the side of the synthetic images (default: the network's image size, 256 for AlexNet; a larger side adds the resize that full-size photos need)", "S");
        var target = Options.Positive("--target", $"the images/s the GPU trains at, to work out the cores that feed it (default {PipelineBench.DefaultTarget:0}: AlexNet at batch 128 in 81 ms, cuDNN on a Maxwell Titan X)", "R");
        var strict = TrainCommand.StrictOption();
        var command = new Command("bench", "Time the forward pass and the training step in images/s and GFLOP/s (the median of the timed iterations, with the spread); on the CPU backend also every group's time and the 1536^3 matrix product's rate. " +
            "--pipeline: time the data pipeline (decode, resize, augment) on one core and all, and the cores a GPU needs.")
        {
            network, batch, warmup, iterations, json, device, devices, pipeline, data, images, size, target, strict,
        };
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(pipeline) || parsed.GetValue(data) is not null)
            {
                int? givenBatch = parsed.GetResult(batch) is { Implicit: false } ? parsed.GetValue(batch) : null;
                if (parsed.GetValue(data) is not null && parsed.GetValue(size) is not null)
                    throw new UsageException("--size is the side of the synthetic images; with --data the images are your own");
                return PipelineBench.Run(NamedNetworks.Get(parsed.GetValue(network)!), parsed.GetValue(data), parsed.GetValue(images), parsed.GetValue(size), givenBatch,
                    parsed.GetValue(target) ?? PipelineBench.DefaultTarget, parsed.GetValue(warmup), parsed.GetValue(iterations), parsed.GetValue(json), parsed.GetValue(strict));
            }
            return Run(parsed.GetValue(network)!, parsed.GetValue(batch), parsed.GetValue(warmup), parsed.GetValue(iterations), parsed.GetValue(json),
                parsed.GetValue(device)!, parsed.GetValue(devices));
        });
        return Verbs.WithExamples(command, "bench minialexnet --batch 64 --device cpu", "bench alexnet --batch 16 --json > alexnet.json",
            "bench alexnet --pipeline", "bench alexnet --data ~/imagenet --target 16000");
    }

    private static int Run(string name, int batch, int warmup, int iterations, bool json, string deviceKind, int devices)
    {
        var log = json ? Console.Error : Console.Out;
        using var device = Device.Open(deviceKind);
        using var network = NamedNetworks.Get(name).Create(device, 1);
        using var trainer = devices > 1 ? new PartitionedTrainer(network, devices, seed: 2) : new Trainer(network, seed: 2);
        var info = network.Info;
        log.WriteLine($"{info.Name} on {device}, batch {batch}: at least {warmup} warm-up runs ({MinimumWarmup.TotalSeconds:0} s) and {iterations} timed iterations each" +
            (devices > 1 ? $"; the training step split over {devices} CPU devices by the partition plan" : ""));

        var images = new float[batch * info.Input.Size];
        for (int i = 0; i < images.Length; i++)
            images[i] = CounterHash.Uniform(3, 0, (ulong)i) * 2f - 1f;
        var labels = Enumerable.Range(0, batch).Select(n => (int)(CounterHash.Uniform(3, 1, (ulong)n) * info.Output.Size)).ToArray();
        var (forward, _) = trainer.PassesFor(batch);

        bool profile = network.Backend == Backend.Cpu && devices == 1;
        var forwardTimes = Measure(warmup, iterations, () => forward.Run(images), profile, log, "forward");
        var forwardGroups = Snapshot(forwardTimes.Runs);
        // A small learning rate: the weights move, but stay where the forward timing found them.
        var trainTimes = Measure(warmup, iterations, () => trainer.Train(images, labels, 1e-4f), profile, log, "train");
        var trainGroups = Snapshot(trainTimes.Runs);
        double forwardSeconds = forwardTimes.Median, trainSeconds = trainTimes.Median;

        double forwardFlops = 2.0 * info.MultiplyAdds * batch, trainFlops = 3 * forwardFlops;
        var result = new Dictionary<string, object>
        {
            ["network"] = info.Name.ToLowerInvariant(),
            ["device"] = device.Kind,
            ["batch"] = batch,
            ["devices"] = devices,
            ["threads"] = Environment.ProcessorCount,
            ["forward_images_per_second"] = Round(batch / forwardSeconds),
            ["forward_images_per_second_min"] = Round(batch / forwardTimes.Slowest),
            ["forward_images_per_second_max"] = Round(batch / forwardTimes.Fastest),
            ["train_images_per_second"] = Round(batch / trainSeconds),
            ["train_images_per_second_min"] = Round(batch / trainTimes.Slowest),
            ["train_images_per_second_max"] = Round(batch / trainTimes.Fastest),
            ["iterations"] = iterations,
            ["forward_ms"] = Round(forwardSeconds * 1e3),
            ["train_ms"] = Round(trainSeconds * 1e3),
            ["forward_gflops"] = Round(forwardFlops / forwardSeconds / 1e9),
            ["train_gflops"] = Round(trainFlops / trainSeconds / 1e9),
        };
        log.WriteLine($"forward: {batch / forwardSeconds,8:0.0} images/s  {forwardSeconds * 1e3,8:0.00} ms  {forwardFlops / forwardSeconds / 1e9,6:0.0} GFLOP/s  {forwardTimes.Spread(batch)}");
        log.WriteLine($"train:   {batch / trainSeconds,8:0.0} images/s  {trainSeconds * 1e3,8:0.00} ms  {trainFlops / trainSeconds / 1e9,6:0.0} GFLOP/s  {trainTimes.Spread(batch)} (3x the forward FLOPs)");

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

    /// <summary>Seconds per run of each timed iteration, sorted, and how many runs they took in all.</summary>
    internal sealed record Timings(double[] Seconds, int Runs)
    {
        public double Median => Seconds.Length % 2 == 1 ? Seconds[Seconds.Length / 2] : (Seconds[Seconds.Length / 2 - 1] + Seconds[Seconds.Length / 2]) / 2;

        public double Fastest => Seconds[0];

        public double Slowest => Seconds[^1];

        /// <summary>The range of the iterations' rates, as BenchmarkDotNet shows a spread beside its median.</summary>
        public string Spread(int batch) => $"(iterations {batch / Slowest:0.0} to {batch / Fastest:0.0} images/s, {(Slowest - Fastest) / Median:P0} of the median)";
    }

    /// <summary>
    /// Warms up (at least <paramref name="warmup"/> runs and <see cref="MinimumWarmup"/>), then times
    /// <paramref name="iterations"/> iterations of as many runs as fill <see cref="IterationTarget"/>.
    /// </summary>
    internal static Timings Measure(int warmup, int iterations, Action run, bool profile, System.IO.TextWriter log, string what)
    {
        // Progress redraws in place on a terminal only; into a file or a pipe it would be one long line.
        bool terminal = log == Console.Out ? !Console.IsOutputRedirected : !Console.IsErrorRedirected;
        var clock = Stopwatch.StartNew();
        int warmed = 0;
        while (warmed < warmup || clock.Elapsed < MinimumWarmup)
        {
            run();
            warmed++;
            if (terminal)
                log.Write($"\r{what}: warming up, run {warmed}   ");
        }
        int perIteration = (int)Math.Clamp(IterationTarget / (clock.Elapsed / warmed), 1, 1000);
        CpuProfiler.Reset();
        CpuProfiler.Enabled = profile;
        var times = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int r = 0; r < perIteration; r++)
                run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds / perIteration;
            if (terminal)
                log.Write($"\r{what}: iteration {i + 1}/{iterations} of {perIteration} run(s), {times[i] * 1e3:0.00} ms a run   ");
        }
        CpuProfiler.Enabled = false;
        if (terminal)
            log.Write("\r" + new string(' ', 64) + "\r");
        Array.Sort(times);
        return new Timings(times, iterations * perIteration);
    }

    /// <summary>Milliseconds per run of each (pass, group) the profiler saw over <paramref name="runs"/> runs.</summary>
    private static Dictionary<(string Pass, string Group), double> Snapshot(int runs) =>
        CpuProfiler.Totals.ToDictionary(kv => kv.Key, kv => kv.Value.Seconds * 1e3 / runs);

    /// <summary>Prints and returns each group's time; a layer's main group also gets its GFLOP/s and its share of the matrix product's.</summary>
    private static List<Dictionary<string, object>> Groups(NetworkInfo info, int batch,
        Dictionary<(string Pass, string Group), double> forward, Dictionary<(string Pass, string Group), double> train, double gemm, System.IO.TextWriter log)
    {
        log.WriteLine($"matrix product {GemmSize}^3: {gemm:0.0} GFLOP/s");
        // The name column fits the longest group (block2b.globalavgpool), so the numbers stay in their columns.
        int width = Math.Max(16, forward.Keys.Select(k => k.Group.Length + 2).DefaultIfEmpty(0).Max());
        log.WriteLine($"{"group".PadRight(width)}{"forward ms",12}{"GFLOP/s",10}{"of GEMM",9}{"backward ms",13}{"GFLOP/s",10}");
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
            log.WriteLine($"{group.PadRight(width)}{ms,12:0.00}{rates}");
            rows.Add(row);
        }
        double loss = train.GetValueOrDefault(("backward", "loss"));
        log.WriteLine($"{"loss".PadRight(width)}{"",12}{"",10}{"",9}{loss,13:0.00}");
        return rows;
    }

    internal static double Round(double value) => Math.Round(value, 3, MidpointRounding.AwayFromZero);
}
