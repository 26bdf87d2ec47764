using System;
using System.CommandLine;
using System.Diagnostics;
using System.Linq;
using NetGen.Distributed;

namespace NetGen.CommandLine;

/// <summary>
/// <c>mpirun -np N netgen ranks [--bench]</c>: checks a job's MPI before training on it (each rank,
/// its machine, the library, an all-reduce whose sum is known) and, with <c>--bench</c>, times the
/// all-reduce of a network's gradients in buckets, as data-parallel training sends them each step.
/// </summary>
internal static class RanksCommand
{
    public static Command Create()
    {
        var bench = new Option<bool>("--bench") { Description = "time the all-reduce of --network's gradients in buckets, as a data-parallel step sends them" };
        var network = new Option<string>("--network") { Description = "the network whose gradients --bench sums", DefaultValueFactory = _ => "alexnet", HelpName = "NETWORK" };
        var bucket = new Option<double>("--bucket-mb") { Description = "the bucket size in MiB", DefaultValueFactory = _ => GradientBuckets.DefaultBucketBytes / (1024.0 * 1024.0), HelpName = "MB" };
        var iterations = new Option<int>("--iterations") { Description = "timed all-reduces of every bucket, and timed training steps", DefaultValueFactory = _ => 5, HelpName = "N" };
        var batch = new Option<int?>("--batch") { Description = "with --bench, also time data-parallel training steps on random images at this whole batch (each rank takes its share)", HelpName = "B" };
        var command = new Command("ranks", "Check the MPI job this process runs in (start it with mpirun), and with --bench time a network's gradient all-reduce and training step.") { bench, network, bucket, iterations, batch };
        command.SetAction(parsed => Run(parsed.GetValue(bench), parsed.GetValue(network)!, parsed.GetValue(bucket), parsed.GetValue(iterations), parsed.GetValue(batch)));
        return Verbs.WithExamples(command, "ranks", "ranks --bench --network alexnet", "ranks --bench --network minialexnet --batch 128");
    }

    private static int Run(bool bench, string networkName, double bucketMb, int iterations, int? batch)
    {
        if (iterations < 1)
            throw new UsageException("--iterations must be at least 1");
        if (!(bucketMb > 0))
            throw new UsageException("--bucket-mb must be positive");
        using var communicator = Communicator.FromEnvironment();
        int rank = communicator.Rank, size = communicator.Size;
        // Each rank adds rank + 1 at every place, and (rank + 1) * 2^-20 beside it, which float sums exactly:
        // the result is known, so a wrong sum, or a rank that took part twice, shows.
        var values = new float[1024];
        for (int i = 0; i < values.Length; i++)
            values[i] = (i % 2 == 0 ? 1f : MathF.ScaleB(1f, -20)) * (rank + 1);
        communicator.AllReduceSum(values);
        float expected = size * (size + 1) / 2f;
        bool exact = values.Select((v, i) => v == (i % 2 == 0 ? expected : MathF.ScaleB(expected, -20))).All(b => b);
        long[] count = [1];
        communicator.AllReduceSum(count);
        Console.WriteLine($"rank {rank} of {size} on {Environment.MachineName} (pid {Environment.ProcessId}): {communicator.Transport}; " +
            $"all-reduce {(exact ? "exact" : "WRONG")}, {count[0]} rank{(count[0] == 1 ? "" : "s")} answered");
        if (!exact || count[0] != size)
        {
            Console.Error.WriteLine($"rank {rank}: the all-reduce gave {values[0]}, expected {expected}; {count[0]} ranks answered of {size}");
            return 1;
        }
        if (!bench)
            return 0;
        if (size == 1)
        {
            if (batch is { } alone)
                TimeSteps(communicator, networkName, alone, bucketMb, iterations);
            return 0;
        }

        var info = NamedNetworks.Get(networkName).Info;
        using var buckets = new GradientBuckets(communicator, info, (long)(bucketMb * 1024 * 1024));
        var gradients = new float[info.ParameterCount];
        var times = new double[iterations];
        for (int i = -1; i < iterations; i++) // one untimed round: connections are made on first use
        {
            communicator.Barrier();
            var clock = Stopwatch.StartNew();
            buckets.Begin(gradients);
            buckets.Finish();
            if (i >= 0)
                times[i] = clock.Elapsed.TotalSeconds;
        }
        if (rank == 0)
        {
            Array.Sort(times);
            double median = times[iterations / 2], bytes = buckets.BytesPerStep;
            Console.WriteLine($"{info.Name}: {bytes / 1e6:N1} MB of gradients in {buckets.Count} bucket{(buckets.Count == 1 ? "" : "s")} of up to {bucketMb:0.##} MiB, " +
                $"summed over {size} rank{(size == 1 ? "" : "s")}: median {median * 1e3:N1} ms ({times[0] * 1e3:N1} to {times[^1] * 1e3:N1}) of {iterations}; " +
                $"{bytes / median / 1e9:N2} GB/s of gradients, {(size > 1 ? 2.0 * (size - 1) / size * bytes / median / 1e9 : 0):N2} GB/s on each rank's link (a ring all-reduce sends 2 (N - 1) / N of the bytes)");
        }
        if (batch is { } whole)
            TimeSteps(communicator, networkName, whole, bucketMb, iterations);
        return 0;
    }

    /// <summary>Data-parallel training steps on random images at a whole batch of <paramref name="whole"/>, each rank its share, on the CPU backend.</summary>
    private static void TimeSteps(ICommunicator communicator, string networkName, int whole, double bucketMb, int iterations)
    {
        var parallel = new DataParallel(communicator);
        int share = parallel.Share(whole);
        using var device = Device.Open("cpu");
        using var network = NamedNetworks.Get(networkName).Create(device, 1);
        var info = network.Info;
        using var trainer = new Trainer(network, 1) { FirstImage = parallel.FirstImage(whole) };
        trainer.GradientSum = communicator.Size > 1 ? new GradientBuckets(communicator, info, (long)(bucketMb * 1024 * 1024)) : null;
        var random = new Random(communicator.Rank + 1);
        var images = new float[share * info.Input.Size];
        for (int i = 0; i < images.Length; i++)
            images[i] = random.NextSingle() * 2 - 1;
        var labels = Enumerable.Range(0, share).Select(i => (i + communicator.Rank * share) % (int)info.Output.Size).ToArray();
        var times = new double[iterations];
        for (int i = -2; i < iterations; i++) // two untimed steps: the JIT's final code, and the first all-reduces' connections
        {
            communicator.Barrier();
            var clock = Stopwatch.StartNew();
            trainer.Train(images, labels, 0.001f);
            if (i >= 0)
                times[i] = clock.Elapsed.TotalSeconds;
        }
        var hash = parallel.CheckReplicas(network);
        if (communicator.Rank != 0)
            return;
        Array.Sort(times);
        double median = times[iterations / 2];
        long bytes = trainer.GradientSum?.BytesPerStep ?? 0;
        Console.WriteLine($"{info.Name} training step, batch {whole} ({communicator.Size} x {share}) on the CPU backend: median {median * 1e3:N1} ms " +
            $"({times[0] * 1e3:N1} to {times[^1] * 1e3:N1}) of {iterations}, {whole / median:N0} images/s; {bytes / 1e6:N1} MB of gradients summed per step; " +
            $"replicas identical (XxHash64 {hash:x16})");
    }
}
