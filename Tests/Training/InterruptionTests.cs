using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using NetGen.Data;
using NetGen.Networks;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

/// <summary>
/// A run killed with SIGKILL in the middle of writing a checkpoint, in a child process: the
/// previous checkpoint survives whole, and the run resumed from it ends with the weights of a run
/// never interrupted. The child stops at a fault-injection point inside the write
/// (<c>NETGEN_TEST_PAUSE_WRITE</c>), so the kill always lands mid-write.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class InterruptionTests(AcceleratorFixture fixture)
{
    private const int Batch = 32;

    [Fact]
    public void KillNineDuringACheckpointWriteLosesNothing()
    {
        using var folder = new TemporaryFolder();
        string killed = Path.Combine(folder.Path, "killed"), straight = Path.Combine(folder.Path, "straight");
        string last = Path.Combine(killed, TrainingRun.LastFile);

        // Checkpoints after steps 2, 4, ...; the second write (step 4) stops 1,000 bytes in.
        using (var child = Netgen(killed, "--save-every", "2"))
        {
            child.StartInfo.Environment["NETGEN_TEST_PAUSE_WRITE"] = $"{TrainingRun.LastFile}:2:1000";
            var log = new System.Text.StringBuilder();
            child.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            child.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            child.Start();
            // Drained as it comes: a child blocked on a full pipe would never reach the pause.
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            string marker = last + ".paused";
            var clock = Stopwatch.StartNew();
            while (!File.Exists(marker) && !child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
                Thread.Sleep(20);
            Assert.True(File.Exists(marker), $"the child never reached the pause: {(child.HasExited ? "it exited with " + child.ExitCode : "timed out")}\n{log}");
            child.Kill(entireProcessTree: true); // SIGKILL: no finally block, no flush, no rename
            child.WaitForExit();
        }

        // The checkpoint is step 2's, whole; the half-written file is a temporary one beside it.
        var info = MiniAlexNet.Description;
        Assert.Equal(2, Checkpoint.Load(last, info).State.Step);
        Assert.Single(Directory.GetFiles(killed, TrainingRun.LastFile + ".tmp-*"));

        Assert.Equal(0, Run(killed, resume: true));
        Assert.Empty(Directory.GetFiles(killed, "*.tmp-*")); // a resumed run clears what the killed one left
        Assert.Equal(0, Run(straight, resume: false));
        var resumed = Checkpoint.Load(last, info);
        var uninterrupted = Checkpoint.Load(Path.Combine(straight, TrainingRun.LastFile), info);
        Assert.Equal(DataSplits.Open(TrainCommand.Sample, 1).Train.Count / Batch, resumed.State.Step);
        Assert.Equal(uninterrupted.Parameters, resumed.Parameters);
        Assert.Equal(uninterrupted.Momentum, resumed.Momentum);
    }

    /// <summary>The same training run in this process.</summary>
    private int Run(string directory, bool resume)
    {
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 1);
        var declared = NetworkCatalog.Find(MiniAlexNet.Description.Name)!.Defaults;
        // The command's settings: the network's declared defaults, one epoch, the batch and rate below.
        var options = TrainingOptions.From(declared) with { Epochs = 1, BatchSize = Batch, LearningRate = 0.02f, Seed = 1 };
        var run = new TrainingRun(network, DataSplits.Open(TrainCommand.Sample, 1), options, TrainingRunTests.MiniPreprocessing, directory);
        return run.Run(resume).Completed ? 0 : 1;
    }

    /// <summary><c>netgen train</c> in a child process, on the CPU backend, with this test's run settings.</summary>
    private static Process Netgen(string directory, params string[] extra)
    {
        // The host running these tests, when it is the dotnet muxer; else the one on PATH.
        string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "netgen.dll"), "train", "minialexnet", "--data", TrainCommand.Sample,
            "--out", directory, "--device", "cpu", "--epochs", "1", "--batch", $"{Batch}", "--lr", "0.02", "--seed", "1" }.Concat(extra))
            start.ArgumentList.Add(argument);
        return new Process { StartInfo = start };
    }
}
