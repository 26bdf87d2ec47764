using System;
using System.IO;
using System.Linq;
using NetGen.Tests.Commands;
using NetGen.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NetGen.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 netgen step --devices 2</c>, one column per rank, against the in-process
/// <c>netgen step --devices 2</c> on the same weights and batch: the same file, bit for bit.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class ColumnMpiTests(ITestOutputHelper output)
{
    [MpiTheory, InlineData(false), InlineData(true)]
    public void MiniAlexNetStepOverTwoRanksWritesTheInProcessStepsFile(bool evaluation)
    {
        using var folder = new TemporaryFolder();
        string weights = folder.File("w.safetensors"), input = folder.File("x.safetensors");
        Assert.Equal(0, CommandTests.Netgen("init", "minialexnet", "--seed", "2", "--out", weights, "--device", "cpu").Code);
        SafeTensorsFile.Write(input, [
            SafeTensor.Float32("input", Numbers.Uniform(6 * 28 * 28, 4, scale: 2f), 6, 1, 28, 28),
            SafeTensor.Int64("labels", [3, 1, 4, 1, 5, 9], 6),
        ]);
        AssertRanksWriteTheInProcessStep(folder, "minialexnet", weights, input, evaluation ? ["--eval"] : []);
    }

    [MpiFact]
    public void AlexNetStepOverTwoRanksWritesTheInProcessStepsFile()
    {
        using var folder = new TemporaryFolder();
        string weights = folder.File("w.safetensors"), input = folder.File("x.safetensors");
        Assert.Equal(0, CommandTests.Netgen("init", "alexnet", "--seed", "1", "--out", weights, "--device", "cpu").Code);
        SafeTensorsFile.Write(input, [
            SafeTensor.Float32("input", Numbers.Uniform(2 * 3 * 227 * 227, 5, scale: 100f), 2, 3, 227, 227),
            SafeTensor.Int64("labels", [17, 912], 2),
        ]);
        AssertRanksWriteTheInProcessStep(folder, "alexnet", weights, input, []);
    }

    [MpiFact]
    public void ThreeRanksForATwoColumnNetworkAreRefused()
    {
        using var folder = new TemporaryFolder();
        string result = folder.File("o.safetensors");
        var (code, text) = MpiJob.Run(3, TimeSpan.FromMinutes(2), "step", "minialexnet", "--weights", folder.File("w.safetensors"),
            "--input", folder.File("x.safetensors"), "--out", result, "--device", "cpu", "--devices", "2");
        output.WriteLine(text);
        Assert.NotEqual(0, code);
        // Every rank refuses before it meets another, so none waits; mpirun may stop the others before they print.
        Assert.Contains("netgen: this MPI job has 3 ranks, and --devices 2 runs one column on each of 2: start it with mpirun -np 2", text);
        Assert.False(File.Exists(result));
    }

    /// <summary>The in-process two-device step and the two-rank one on the same files: every tensor and the metadata alike, and so the bytes.</summary>
    private void AssertRanksWriteTheInProcessStep(TemporaryFolder folder, string network, string weights, string input, string[] mode)
    {
        string inProcess = folder.File("one-process.safetensors"), overRanks = folder.File("two-ranks.safetensors");
        string[] step = ["step", network, "--weights", weights, "--input", input, "--device", "cpu", "--devices", "2", .. mode, "--out"];
        var (code, text) = CommandTests.Netgen([.. step, inProcess]);
        Assert.True(code == 0, text);
        (code, text) = MpiJob.Run(2, TimeSpan.FromMinutes(5), [.. step, overRanks]);
        output.WriteLine(text);
        Assert.True(code == 0, $"mpirun -np 2 netgen step exited with {code}:\n{text}");
        foreach (int rank in new[] { 0, 1 })
            Assert.Contains($"rank {rank} of 2 on {Environment.MachineName}: column {rank} of ", text);
        Assert.Single(text.Split('\n'), l => l.StartsWith("wrote logits", StringComparison.Ordinal)); // rank 0 alone writes

        var expected = SafeTensorsFile.Read(inProcess);
        var actual = SafeTensorsFile.Read(overRanks);
        Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        foreach (var tensor in expected.Tensors)
        {
            var other = actual[tensor.Name];
            Assert.Equal(tensor.Shape, other.Shape);
            int first = tensor.Bytes.CommonPrefixLength(other.Bytes);
            Assert.True(first == tensor.Bytes.Length && first == other.Bytes.Length,
                $"{tensor.Name}: two ranks part from one process at value {first / sizeof(float)} of {tensor.ElementCount}");
        }
        Assert.Equal(expected.Metadata.OrderBy(m => m.Key), actual.Metadata.OrderBy(m => m.Key));
        Assert.Equal(File.ReadAllBytes(inProcess), File.ReadAllBytes(overRanks));
    }
}
