using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Runtime.Cuda;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;
using ScottPlot;

namespace NetGen.Tests.Commands;

/// <summary>What a newcomer meets first: help, versions, typos, devices that are not there, files that are not there.</summary>
[Collection(ConsoleCollection.Name)]
public partial class CommandLineTests
{
    /// <summary>Runs the entry point; returns its exit code, standard output and standard error.</summary>
    internal static (int Code, string Output, string Error) Netgen(params string[] args)
    {
        var (output, error) = (Console.Out, Console.Error);
        var (outWriter, errorWriter) = (new StringWriter(), new StringWriter());
        Console.SetOut(outWriter);
        Console.SetError(errorWriter);
        try
        {
            int code = Cli.Run(args);
            return (code, outWriter.ToString(), errorWriter.ToString());
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
        }
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void TrainsHelpPrintsItsOptionsAndTrainsNothing(string help)
    {
        using var folder = new TemporaryFolder();
        string run = Path.Combine(folder.Path, "run");
        var (code, output, error) = Netgen("train", "minialexnet", "--out", run, help);
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("Usage:", output);
        Assert.Contains("--epochs <N>", output);
        Assert.Contains("Examples:", output);
        Assert.DoesNotContain("epoch 1", output);
        Assert.False(Directory.Exists(run));
    }

    /// <summary>Every option docs/commands.md gives a verb is in that verb's --help, and the help has no option the page leaves out.</summary>
    [Fact]
    public void EachVerbsHelpListsEveryOptionTheCommandsPageDocuments()
    {
        string page = File.ReadAllText(Path.Combine(GeneratorHarness.RepositoryRoot, "docs", "commands.md"));
        var rows = page.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToArray();
        Assert.True(rows.Length >= 11, "the page's table of verbs");
        foreach (string row in rows)
        {
            string usage = row.Split('`')[1];
            string verb = usage.Split(' ')[0];
            var documented = Regex.Matches(row.Replace("\\|", "/").Split('|')[1], @"--[a-z][a-z0-9-]*").Select(m => m.Value).ToHashSet();
            var (code, help, _) = Netgen(verb, "--help");
            Assert.Equal(0, code);
            var offered = Regex.Matches(help, @"^\s+(?:-\?, -h, )?(--[a-z][a-z0-9-]*)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
            offered.Remove("--help");
            Assert.True(documented.SetEquals(offered),
                $"{verb}: documented but not offered: {string.Join(" ", documented.Except(offered))}; offered but not documented: {string.Join(" ", offered.Except(documented))}");
        }
    }

    [Fact]
    public void VersionPrintsNetGensVersion()
    {
        var (code, output, _) = Netgen("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^NetGen \d+\.\d+\.\d+", output);
    }

    [Theory]
    [InlineData(new[] { "train", "minialexnet", "--epoch", "1" }, "unknown option '--epoch' for train; did you mean '--epochs'?")]
    [InlineData(new[] { "train", "minialexnet", "--optimiser", "adam" }, "unknown option '--optimiser' for train; did you mean '--optimizer'?")]
    [InlineData(new[] { "train", "minialexnet", "--optimizer", "adamm" }, "--optimizer takes sgd, adam or adamw, not 'adamm'")]
    [InlineData(new[] { "train", "minialexnet", "--beta1", "0.8" }, "--beta1 is Adam's, and the optimizer is sgd")]
    [InlineData(new[] { "train", "minialexnet", "--optimizer", "adam", "--nesterov" }, "--nesterov is SGD's, and the optimizer is adam")]
    [InlineData(new[] { "shapes", "minialexnet", "--bogus" }, "unknown option '--bogus' for shapes")]
    [InlineData(new[] { "trian" }, "unknown command 'trian'; did you mean 'train'?")]
    [InlineData(new[] { "eval", "minialexnet", "--weigths", "w.safetensors" }, "unknown option '--weigths' for eval; did you mean '--weights'?")]
    [InlineData(new[] { "train", "--epochs", "x" }, "--epochs takes a positive whole number, not 'x'")]
    [InlineData(new[] { "train", "--flip", "maybe" }, "--flip takes on or off, not 'maybe'")]
    [InlineData(new[] { "forward", "minialexnet", "--device", "gpu" }, "--device takes auto, cpu, cuda, opencl, ilgpu-cpu, ilgpu-gpu, not 'gpu'")]
    [InlineData(new[] { "completion", "fish" }, "Argument 'fish' not recognized. Must be one of: 'bash' 'zsh'")]
    public void AWrongCommandLineIsOneLineAndAPointerToHelp(string[] args, string message)
    {
        var (code, output, error) = Netgen(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"netgen: {message}", lines[0].TrimEnd());
        Assert.StartsWith("see 'netgen ", lines[1]);
        Assert.EndsWith("--help'", lines[1].TrimEnd());
        Assert.DoesNotContain("Parameter", error);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("opencl")]
    public void AGpuThatIsNotThereIsAnErrorThatSaysSoWithoutAStackTrace(string kind)
    {
        using (var context = Context.Create(builder => builder.Default()))
            if (kind == "cuda" ? context.GetCudaDevices().Count > 0 : context.Devices.Any(d => d.AcceleratorType == ILGPU.Runtime.AcceleratorType.OpenCL))
                return; // this machine has one: nothing to check here
        var (code, _, error) = Netgen("forward", "minialexnet", "--device", kind);
        Assert.Equal(1, code);
        Assert.StartsWith($"netgen: --device {kind}: this machine has no ", error);
        Assert.Contains("--device cpu", error);
        Assert.DoesNotContain(" at ", error);
    }

    [Fact]
    public void AWeightsFileThatDoesNotExistIsNamed()
    {
        using var folder = new TemporaryFolder();
        string weights = Path.Combine(folder.Path, "missing.safetensors");
        foreach (var args in new[]
        {
            new[] { "eval", "minialexnet", "--weights", weights, "--data", TrainCommand.Sample, "--device", "cpu" },
            ["classify", "minialexnet", "--weights", weights, "val:0", "--device", "cpu"],
            ["filters", "minialexnet", "--weights", weights, "--out", Path.Combine(folder.Path, "f.png")],
        })
        {
            var (code, _, error) = Netgen(args);
            Assert.Equal(1, code);
            Assert.Equal($"netgen: {weights}: no such file.", error.Trim());
            Assert.DoesNotContain("data.safetensors", error);
        }
    }

    [Fact]
    public void TheCompletionScriptAndTheSuggestDirectiveCompleteOptionsNetworksAndDevices()
    {
        var (code, script, _) = Netgen("completion", "bash");
        Assert.Equal(0, code);
        Assert.Contains("complete -o default -F _netgen_complete netgen", script);
        Assert.Contains("[suggest:", script);

        // What the script asks the program: the words after its name, and the cursor's place in them.
        (code, var options, _) = Netgen("[suggest:11]", "train --epo");
        Assert.Equal(0, code);
        Assert.Equal(["--epochs"], options.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        (_, var networks, _) = Netgen("[suggest:11]", "shapes mini");
        Assert.Contains("minialexnet", networks.Split('\n').Select(l => l.Trim()));
        Assert.DoesNotContain("alexnet", networks.Split('\n').Select(l => l.Trim()));
        (_, var devices, _) = Netgen("[suggest:26]", "forward alexnet --device ");
        Assert.Equal(Device.Kinds.Order(), devices.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Order());
    }

    [Fact]
    public void BenchReportsItsMedianWithTheRangeAndWritesNoRedrawsIntoAPipe()
    {
        var (code, output, error) = Netgen("bench", "twoclassprobe", "--batch", "4", "--warmup", "1", "--iterations", "3", "--device", "cpu", "--json");
        Assert.True(code == 0, error);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(3, root.GetProperty("iterations").GetInt32());
        foreach (string pass in new[] { "forward", "train" })
        {
            double median = root.GetProperty($"{pass}_images_per_second").GetDouble();
            Assert.InRange(median, root.GetProperty($"{pass}_images_per_second_min").GetDouble(), root.GetProperty($"{pass}_images_per_second_max").GetDouble());
        }
        Assert.Contains("timed iterations", error);
        Assert.DoesNotContain('\r', output + error); // the test host's streams are pipes: no progress redrawn in place
    }

    [Fact]
    public void TheCpuBackendAndIlgpusCpuAcceleratorAreToldApart()
    {
        using var cpu = Device.Open("cpu");
        using var ilgpu = Device.Open("ilgpu-cpu");
        Assert.StartsWith("cpu: NetGen's CPU backend", cpu.ToString());
        Assert.StartsWith("ilgpu-cpu: ILGPU's CPU accelerator", ilgpu.ToString());
    }

    [Theory]
    [InlineData(60_000, 128, "each epoch trains 59,904 of the 60,000 training images in 468 batches of 128; the other 96 sit the epoch out (a different 96 each epoch, as every epoch reshuffles)")]
    [InlineData(90, 64, "each epoch trains 64 of the 90 training images in 1 batch of 64; the other 26 sit the epoch out (a different 26 each epoch, as every epoch reshuffles); --batch 45 would train on all of them")]
    [InlineData(3_000, 64, "each epoch trains 2,944 of the 3,000 training images in 46 batches of 64; the other 56 sit the epoch out (a different 56 each epoch, as every epoch reshuffles)")]
    [InlineData(640, 64, "each epoch trains 640 of the 640 training images in 10 batches of 64")]
    public void TrainSaysWhatTheLastPartialBatchLeavesOut(int images, int batch, string expected)
    {
        Assert.Equal(expected, TrainCommand.LeftOut(images, batch));
    }

    [Theory]
    [InlineData(1, "1 epoch")]
    [InlineData(20, "20 epochs")]
    [InlineData(1200, "1,200 epochs")]
    public void CountsAgreeWithTheirNouns(long count, string expected) => Assert.Equal(expected, TrainCommand.Plural(count, "epoch"));

    [Theory]
    [InlineData(2140.4, "2,140")]
    [InlineData(37.54, "37.5")]
    [InlineData(0.4213, "0.42")]
    public void RatesKeepTheDigitsThatMatter(double rate, string expected) => Assert.Equal(expected, ProgressBar.Rate(rate));

    [Fact]
    public void TrainSaysWhereEachSettingCameFrom()
    {
        using var folder = new TemporaryFolder();
        var (code, output, _) = Netgen("train", "minialexnet", "--data", TrainCommand.Sample, "--epochs", "1", "--batch", "250", "--device", "cpu",
            "--out", Path.Combine(folder.Path, "run"));
        Assert.True(code == 0, output);
        Assert.Contains("from the command line: epochs, batch\n", output.Replace("\r", ""));
        // MiniAlexNet's declaration sets these (Runtime/Networks/MiniAlexNet.cs), the paper's decay of biases and normalisation
        // among them; momentum and the weight decay's rate it leaves to the paper.
        Assert.Contains("from MiniAlexNet's [TrainingDefaults]: learning rate, decay of biases and normalisation, patience, threshold, label smoothing, warm-up, flips\n", output.Replace("\r", ""));
        Assert.Contains("from the paper's defaults: optimizer, momentum, nesterov, weight decay, padding\n", output.Replace("\r", ""));
        Assert.Contains("optimizer sgd, momentum 0.9, weight decay 0.0005,", output);
        Assert.Contains("each epoch trains 3,000 of the 3,000 training images in 12 batches of 250", output);
        Assert.DoesNotContain("paper's ImageNet schedule", output);
        Assert.Contains("3,000 of 3,000 images)", output);
    }
}

public partial class CommandLineTests
{
    [Fact]
    public void TrainTakesAdamWAndItsSettingsAndSaysWhereEachCameFrom()
    {
        using var folder = new TemporaryFolder();
        string run = Path.Combine(folder.Path, "run");
        var (code, output, _) = Netgen("train", "minialexnet", "--data", TrainCommand.Sample, "--epochs", "1", "--batch", "250", "--device", "cpu",
            "--optimizer", "adamw", "--beta2", "0.99", "--lr", "0.001", "--weight-decay", "0.01", "--out", run);
        Assert.True(code == 0, output);
        Assert.Contains("optimizer adamw, betas 0.9 and 0.99, eps 1E-08, weight decay 0.01 (decoupled),", output);
        Assert.Contains("from the command line: optimizer, epochs, batch, learning rate, beta2, weight decay\n", output.Replace("\r", ""));
        Assert.Contains("from the paper's defaults: beta1, eps, padding\n", output.Replace("\r", ""));
        var saved = SafeTensorsFile.Read(Path.Combine(run, TrainingRun.LastFile));
        Assert.Equal(("adamw", "12"), (saved.Metadata[Checkpoint.OptimizerKey], saved.Metadata[Checkpoint.OptimizerStepKey]));

        // Resuming keeps the run's optimizer; asking outright for another is refused.
        (code, _, var error) = Netgen("train", "minialexnet", "--data", TrainCommand.Sample, "--epochs", "2", "--device", "cpu", "--optimizer", "sgd", "--out", run, "--resume");
        Assert.Equal(1, code);
        Assert.Contains("the run trains with adamw, not sgd; a resumed run keeps its optimizer and its moments", error);
    }
}

/// <summary>The run's curves.</summary>
public class CurvesTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20)]
    public void TheEpochAxisHasOnlyWholeEpochs(int epochs)
    {
        var history = Enumerable.Range(1, epochs).Select(e => new EpochRecord(e, 0.01f, 2.0 / e, 0.5 / e, 1.0 / e, 0.4 / e, 0.1 / e, 10, 100)).ToList();
        var figure = NetGen.CommandLine.Reports.Curves.Figure("Probe", history, "training");
        figure.Render(NetGen.CommandLine.Reports.Curves.Width, NetGen.CommandLine.Reports.Curves.Height);
        for (int p = 0; p < 2; p++)
        {
            var ticks = figure.GetPlot(p).Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).ToArray();
            Assert.True(ticks.Length >= 2, $"{ticks.Length} major ticks");
            Assert.All(ticks, t => Assert.Equal(Math.Round(t.Position), t.Position));
        }
    }
}

/// <summary>The training loss's legend names what the run has, and nothing it has not.</summary>
public class CurvesLegendTests
{
    [Theory]
    [InlineData(false, false, 0f, "training")]
    [InlineData(true, true, 0.2f, "training (dropout, augmentation, label smoothing 0.2)")] // MiniAlexNet with crops
    [InlineData(false, true, 0.1f, "training (augmentation, label smoothing 0.1)")]        // ResNet14: no dropout
    public void TheTrainingLegendListsWhatLiftsTheLoss(bool dropout, bool augmentation, float smoothing, string legend) =>
        Assert.Equal(legend, NetGen.CommandLine.Reports.Curves.Conditions(dropout, augmentation, smoothing));
}

/// <summary>The shapes table's totals.</summary>
public class ShapesTableTests
{
    [Theory]
    [InlineData(1_448_813_632.0, "1.45 GFLOP")] // AlexNet: 2 x 724,406,816 multiply-adds
    [InlineData(2_032_768.0, "2.03 MFLOP")]
    [InlineData(640.0, "0.64 kFLOP")]
    public void FlopsKeepTheirDigits(double flops, string expected) => Assert.Equal(expected, ShapesCommand.Flops(flops));
}
