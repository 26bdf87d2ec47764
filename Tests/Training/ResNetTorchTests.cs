using System;
using System.Diagnostics;
using System.IO;
using NetGen.Tests.Commands;
using NetGen.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NetGen.Tests.Training;

/// <summary>
/// One <c>netgen step</c> of ResNet8 and ResNet14 (batch normalisation, residual additions, layers
/// reading earlier ones, ResNet14's max pool and its two projection shortcuts) against PyTorch: <c>benchmarks/reference/torch_step.py</c> writes the network out by
/// hand as an <c>nn.Module</c>, loads netgen's weights with <c>load_state_dict(strict=True)</c> and
/// diffs the logits, the loss, every gradient and every running statistic after the step against
/// torch in float64 (normwise relative error 1e-3, as <c>compare_step.sh</c> holds AlexNet to; a
/// running statistic against the step's change, <c>num_batches_tracked</c> exactly). Training mode
/// from netgen's initial statistics and from replaced ones (so the update is seen to start from the
/// old value), and evaluation mode on replaced statistics, on both backends.
/// Needs <c>/usr/bin/python3</c> with torch and numpy (Debian's python3-torch, which <c>.ci/run</c>
/// installs); skipped where it cannot import them.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class ResNetTorchTests(ITestOutputHelper output)
{
    [TorchTheory]
    [InlineData("resnet8", "train", false, AcceleratorFixture.Cpu)]
    [InlineData("resnet8", "train", false, AcceleratorFixture.Kernels)]
    [InlineData("resnet8", "train", true, AcceleratorFixture.Cpu)]
    [InlineData("resnet8", "train", true, AcceleratorFixture.Kernels)]
    [InlineData("resnet8", "eval", true, AcceleratorFixture.Cpu)]
    [InlineData("resnet8", "eval", true, AcceleratorFixture.Kernels)]
    [InlineData("resnet14", "train", true, AcceleratorFixture.Cpu)]
    [InlineData("resnet14", "train", true, AcceleratorFixture.Kernels)]
    [InlineData("resnet14", "eval", true, AcceleratorFixture.Cpu)]
    public void OneStepMatchesPyTorch(string network, string mode, bool replacedStatistics, string device)
    {
        using var folder = new TemporaryFolder();
        string weights = folder.File("W.safetensors"), batch = folder.File("X.safetensors"), result = folder.File("O.safetensors");

        Netgen("init", network, "--seed", "1", "--out", weights, "--device", device);
        // Two images of unit scale with two different labels. ResNet14's seed 5 keeps float32 from
        // deciding otherwise than float64: on the replaced statistics no ReLU input lies within 1e-5 of
        // zero and no max-pool window's two largest values within 2.8e-4 of each other (seed 3 had a
        // pool window within 4e-6 and an input at 5e-6, and one channel's gradient went the other way).
        string inputSeed = network == "resnet14" ? "5" : "3";
        TorchReference.Run(output, "input", "--network", network, "--batch", "2", "--seed", inputSeed, "--scale", "1", "--out", batch);
        if (replacedStatistics)
        {
            // running_mean N(0, 0.5^2), running_var U(0.5, 2), num_batches_tracked 7
            string replaced = folder.File("W-stats.safetensors");
            TorchReference.Run(output, "perturb-stats", "--weights", weights, "--seed", "3", "--out", replaced);
            weights = replaced;
        }
        Netgen(["step", network, "--weights", weights, "--input", batch, "--out", result, "--device", device,
            .. mode == "eval" ? new[] { "--eval" } : []]);
        TorchReference.Run(output, "compare", "--network", network, "--mode", mode, "--weights", weights, "--input", batch,
            "--netgen", result, "--tolerance", "1e-3");
    }

    private void Netgen(params string[] args)
    {
        var (code, text, error) = CommandLineTests.Netgen(args);
        output.WriteLine($"netgen {string.Join(' ', args)}\n{text}{error}");
        Assert.True(code == 0, $"netgen {string.Join(' ', args)} exited with {code}:\n{text}{error}");
    }
}

/// <summary>
/// <c>benchmarks/reference/torch_step.py</c> run by <c>/usr/bin/python3</c> (Debian's torch lives
/// there, not in whatever <c>python3</c> is first on the PATH).
/// </summary>
internal static class TorchReference
{
    public const string Python = "/usr/bin/python3";

    public static string Script => Path.Combine(GeneratorHarness.RepositoryRoot, "benchmarks", "reference", "torch_step.py");

    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>Why the reference cannot run here, or null when /usr/bin/python3 imports torch and numpy.</summary>
    public static string? Unavailable => Missing.Value;

    /// <summary>Runs the script with <paramref name="args"/>, writes what it printed to the test's output, and fails the test unless it exits with 0.</summary>
    public static void Run(ITestOutputHelper output, params string[] args)
    {
        var (code, text) = Python3([Script, .. args], TimeSpan.FromMinutes(5));
        string command = $"{Python} torch_step.py {string.Join(' ', args)}";
        output.WriteLine($"{command}\n{text}");
        Assert.True(code == 0, $"{command} exited with {code}:\n{text}");
    }

    private static string? FindMissing()
    {
        const string Install = "apt-get install python3-torch libopenblas0-openmp, as .ci/run does";
        if (!File.Exists(Python))
            return $"needs {Python} with torch and numpy for benchmarks/reference/torch_step.py; there is no {Python} ({Install})";
        try
        {
            var (code, text) = Python3(["-c", "import numpy, torch"], TimeSpan.FromMinutes(2));
            if (code == 0)
                return null;
            string[] lines = text.Trim().Split('\n');
            return $"needs {Python} with torch and numpy for benchmarks/reference/torch_step.py; it says: {lines[^1].Trim()} ({Install})";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return $"needs {Python} with torch and numpy for benchmarks/reference/torch_step.py: {e.Message} ({Install})";
        }
    }

    /// <summary>Exit code and standard output and error together.</summary>
    internal static (int Code, string Output) Python3(string[] args, TimeSpan limit)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        using var process = new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{Python} did not start"));
        if (!process.WaitForExit(limit))
        {
            process.Kill();
            throw new TimeoutException($"{Python} {string.Join(' ', args)} ran past {limit.TotalSeconds:0} s");
        }
        return (process.ExitCode, process.Output);
    }
}

/// <summary>A theory skipped, with the reason, where <see cref="TorchReference"/> cannot run.</summary>
public sealed class TorchTheoryAttribute : TheoryAttribute
{
    public TorchTheoryAttribute()
    {
        if (TorchReference.Unavailable is { } why)
            Skip = why;
    }
}
