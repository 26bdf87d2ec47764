using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using NetGen.CommandLine;
using NetGen.Data;
using NetGen.Tests.Commands;
using NetGen.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NetGen.Tests.Distributed;

/// <summary>
/// Data-parallel training over two Open MPI ranks on the loopback, against one process: the same
/// global batch (64, so 32 a rank), the same images and dropout masks, gradients summed before each
/// update. Training is chaotic, so two summation orders part ways step by step (on the shipped
/// sample: 6e-7 of a tensor's largest weight after 10 steps, 2e-4 after 20, 7e-2 after 30), and the
/// comparison trains one epoch of ten steps on a 640-image subset and holds every tensor to 1e-4 of
/// its largest value. The ranks' own weights are held to each other bit for bit (the run checks it
/// every epoch and prints the hash).
/// </summary>
[Collection(ConsoleCollection.Name)]
public class DataParallelTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    [MpiFact]
    public void TwoRanksAtHalfTheBatchEndTheEpochWithOneProcesssWeights()
    {
        using var folder = new TemporaryFolder();
        string data = SmallDataset(folder.File("data"), 640, 200);
        string one = folder.File("one"), two = folder.File("two");
        string[] train = ["train", "minialexnet", "--data", data, "--epochs", "1", "--batch", "64", "--seed", "3"];

        var (code, text, error) = CommandLineTests.Netgen([.. train, "--out", one]);
        Assert.True(code == 0, text + error);
        var (mpiCode, mpiText) = MpiJob.Run(2, Limit, [.. train, "--out", two]);
        output.WriteLine(mpiText);
        Assert.True(mpiCode == 0, mpiText);
        Assert.Contains("data-parallel over 2 processes (Open MPI v4", mpiText);
        Assert.Contains("each takes 32 images of every batch of 64", mpiText);
        Assert.Contains("replicas: the 2 processes hold the same weights, bit for bit", mpiText);
        // Rank 1 printed nothing: one progress bar, one summary.
        Assert.Single(mpiText.Split('\n'), l => l.StartsWith("best: epoch 1", StringComparison.Ordinal));

        AssertClose(Load(one), Load(two), 1e-4);
        // The metrics agree as the weights do: the train loss is the mean over the same 640 images.
        double Loss(string run) => double.Parse(File.ReadAllLines(Path.Combine(run, TrainingRun.MetricsFile))[1].Split(',')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Loss(one), Loss(two), 1e-4);
    }

    [MpiFact]
    public void WithBatchNormalisationTheReplicasStayIdentical()
    {
        // Each rank normalises by its own share's statistics, so without rank 0's running statistics
        // copied to every rank after each step the replicas' hashes differ and the run stops.
        using var folder = new TemporaryFolder();
        string data = SmallDataset(folder.File("data"), 640, 200);
        var (code, text) = MpiJob.Run(2, Limit, "train", "resnet8", "--data", data, "--epochs", "1", "--batch", "64", "--out", folder.File("run"));
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Contains("replicas: the 2 processes hold the same weights, bit for bit", text);
    }

    [MpiFact]
    public void ARunResumesOnTheSameOrAnotherNumberOfProcesses()
    {
        using var folder = new TemporaryFolder();
        string data = SmallDataset(folder.File("data"), 640, 200);
        string whole = folder.File("whole"), same = folder.File("same"), other = folder.File("other");
        string[] train = ["train", "minialexnet", "--data", data, "--batch", "64", "--seed", "5", "--lr", "0.01"];
        void Mpi(params string[] args)
        {
            var (code, text) = MpiJob.Run(2, Limit, [.. train, .. args]);
            output.WriteLine(text);
            Assert.True(code == 0, text);
        }

        Mpi("--epochs", "2", "--out", whole);
        // Stopped after an epoch and resumed on as many processes: the very same run.
        Mpi("--epochs", "1", "--out", same);
        Mpi("--epochs", "2", "--out", same, "--resume");
        Assert.Equal(Load(whole), Load(same));
        // Resumed on one process: the second epoch's ten steps sum in another order, after an epoch
        // that moved the weights further (2.2e-4 at the default rate of 0.05; 1e-3 allows for that).
        Mpi("--epochs", "1", "--out", other);
        var (code, text, error) = CommandLineTests.Netgen([.. train, "--epochs", "2", "--out", other, "--resume"]);
        Assert.True(code == 0, text + error);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(other, TrainingRun.MetricsFile)).Length); // a header and two epochs
        AssertClose(Load(whole), Load(other), 1e-3);
    }

    [MpiFact]
    public void ARankThatDiesEndsTheJobAndLeavesTheLastCheckpointToResumeFrom()
    {
        using var folder = new TemporaryFolder();
        string data = SmallDataset(folder.File("data"), 2560, 200);
        string run = folder.File("run"), last = Path.Combine(run, TrainingRun.LastFile);
        string[] train = ["train", "minialexnet", "--data", data, "--epochs", "1", "--batch", "64", "--seed", "3", "--save-every", "5", "--out", run];

        var job = MpiJob.Start(2, train);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(last) && !job.HasExited && clock.Elapsed < Limit)
            Thread.Sleep(100);
        Assert.True(File.Exists(last), "no checkpoint was written before the job ended:\n" + job.Output);
        int victim = MpiJob.RankProcess(1) ?? throw new InvalidOperationException("rank 1's process was not found:\n" + job.Output);
        Process.GetProcessById(victim).Kill();
        var killed = Stopwatch.StartNew();
        Assert.True(job.WaitForExit(TimeSpan.FromSeconds(60)), "the job went on after rank 1 died:\n" + job.Output);
        output.WriteLine($"ended {killed.Elapsed.TotalSeconds:0.0} s after the kill:\n{job.Output}");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("rank 1", job.Output);
        Assert.InRange(killed.Elapsed.TotalSeconds, 0, 30);

        var checkpoint = Checkpoint.Load(last, NetworkCatalog.Find("minialexnet")!.Info); // whole and readable
        Assert.True(checkpoint.State.Step > 0);
        var (code, text) = MpiJob.Run(2, Limit, [.. train, "--resume"]);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Contains("best: epoch 1", text);
    }

    /// <summary>The first <paramref name="train"/> and <paramref name="test"/> images of the shipped Fashion-MNIST sample, as IDX files in <paramref name="folder"/>.</summary>
    internal static string SmallDataset(string folder, int train, int test)
    {
        Directory.CreateDirectory(folder);
        foreach (var (split, count) in new[] { ("train", train), ("t10k", test) })
        {
            var images = IdxFile.Read(Path.Combine(TrainCommand.Sample, $"{split}-images-idx3-ubyte.gz"));
            var labels = IdxFile.Read(Path.Combine(TrainCommand.Sample, $"{split}-labels-idx1-ubyte.gz"));
            int size = images.Dimensions[1] * images.Dimensions[2];
            IdxFile.Write(Path.Combine(folder, $"{split}-images-idx3-ubyte.gz"), [count, images.Dimensions[1], images.Dimensions[2]], images.Data[..(count * size)]);
            IdxFile.Write(Path.Combine(folder, $"{split}-labels-idx1-ubyte.gz"), [count], labels.Data[..count]);
        }
        return folder;
    }

    private static float[] Load(string run) => Checkpoint.Load(Path.Combine(run, TrainingRun.LastFile), NetworkCatalog.Find("minialexnet")!.Info).Parameters;

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        foreach (var p in NetworkCatalog.Find("minialexnet")!.Info.Parameters)
        {
            var e = expected.AsSpan((int)p.Offset, (int)p.Count);
            var a = actual.AsSpan((int)p.Offset, (int)p.Count);
            double largest = 0, difference = 0;
            for (int i = 0; i < e.Length; i++)
            {
                largest = Math.Max(largest, Math.Abs(e[i]));
                difference = Math.Max(difference, Math.Abs((double)e[i] - a[i]));
            }
            Assert.True(difference <= tolerance * largest, $"{p.Name}: differs by {difference:E2}, {difference / largest:E2} of its largest value {largest:E2}");
        }
    }
}
