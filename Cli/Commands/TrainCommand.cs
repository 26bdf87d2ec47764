using System;
using System.Globalization;
using System.IO;
using System.Threading;
using NetGen.Data;
using NetGen.CommandLine.Reports;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen train [network] [--data PATH] [--epochs N] [--batch B] [--lr R] [--momentum M] [--weight-decay W] [--label-smoothing E] [--pad P] [--flip on|off] [--seed S] [--device D] [--out DIR] [--resume] [--strict] [--clip-norm C]</c>:
/// trains on a dataset with a progress bar, validates every epoch, and keeps checkpoints, metrics and curves in DIR.
/// With no data it trains MiniAlexNet on Fashion-MNIST: Debian's copy when installed, else the sample shipped here.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> puts the dataset.</summary>
    public const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>The Fashion-MNIST sample that ships beside the executable (see data/README.md).</summary>
    public static string Sample => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-sample");

    public static int Run(Options options)
    {
        string name = options.PositionalFrom(0) is [var first, ..] ? first : NamedNetworks.Default();
        var entry = NamedNetworks.Get(name);
        var info = entry.Info;
        var declared = entry.Defaults;
        var defaults = TrainingOptions.From(declared);
        var trainingOptions = defaults with
        {
            Epochs = options.Int("--epochs", defaults.Epochs),
            BatchSize = options.Int("--batch", defaults.BatchSize),
            LearningRate = options.Float("--lr", defaults.LearningRate),
            Momentum = options.NonNegative("--momentum", defaults.Momentum),
            WeightDecay = options.NonNegative("--weight-decay", defaults.WeightDecay),
            Patience = options.Int("--patience", defaults.Patience),
            Threshold = options.Float("--threshold", (float)defaults.Threshold),
            Seed = options.ULong("--seed", defaults.Seed),
            TenCrop = options.Flag("--ten-crop"),
            SaveEverySteps = options.Int("--save-every", 0),
            Devices = options.Int("--devices", 1),
            ClipNorm = options.Float("--clip-norm", 0f),
            LabelSmoothing = options.NonNegative("--label-smoothing", defaults.LabelSmoothing),
            Warmup = options.Count("--warmup", defaults.Warmup),
        };
        var declaredPreprocessing = Preprocessing.For(declared, info.Input);
        var preprocessing = declaredPreprocessing with
        {
            Pad = options.Count("--pad", declaredPreprocessing.Pad),
            Flip = options.Switch("--flip", declaredPreprocessing.Flip),
        };
        string dataPath = options.String("--data", DefaultData());
        string directory = options.String("--out", Path.Combine("runs", $"{info.Name.ToLowerInvariant()}-{DateTime.Now:yyyyMMdd-HHmmss}"));
        bool resume = options.Flag("--resume");

        var unreadable = Unreadable(options);
        var splits = DataSplits.Open(dataPath, info.Input.Channels, unreadable);
        using var device = Device.Open(options.String("--device", "auto"));
        using var network = entry.Create(device, trainingOptions.Seed);
        var run = new TrainingRun(network, splits, trainingOptions, preprocessing, directory);
        Console.WriteLine($"{info.Name} ({info.ParameterCount:N0} parameters) on {device}");
        Console.WriteLine($"data: {splits.Train.Source}: {splits.Train.Count:N0} training images, {splits.Validation.Count:N0} validation images ({splits.Validation.Source}), {splits.Train.Classes.Count} classes");
        Console.WriteLine($"run:  {directory}{(resume ? " (resuming)" : "")}; batch {trainingOptions.BatchSize}, learning rate {trainingOptions.LearningRate.ToString(CultureInfo.InvariantCulture)}, " +
            $"momentum {trainingOptions.Momentum.ToString(CultureInfo.InvariantCulture)}, weight decay {trainingOptions.WeightDecay.ToString(CultureInfo.InvariantCulture)}, " +
            $"label smoothing {trainingOptions.LabelSmoothing.ToString(CultureInfo.InvariantCulture)}, " +
            $"divided by 10 after {trainingOptions.Patience} epoch(s) without a better validation error" +
            (trainingOptions.Warmup > 0 ? $", not before the end of epoch {trainingOptions.Warmup}" : "") + $"; {trainingOptions.Epochs} epochs" +
            (resume ? "" : $"; crops padded by {preprocessing.Pad}, flips {(preprocessing.Flip ? "on" : "off")}"));

        bool top5 = ClassCount.HasTop5(info.Output.Size);
        var bar = new ProgressBar();
        run.Progress += p => bar.Update(
            p.Phase == "statistics" ? "mean image" : $"epoch {p.Epoch}/{p.Epochs} {p.Phase}", p.Done, p.Total, "images",
            p.Phase == "train" ? $"loss {p.Loss:0.0000}" : "");
        run.EpochCompleted += history =>
        {
            bar.Finish();
            var e = history[^1];
            Console.WriteLine($"epoch {e.Epoch}: lr {e.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}, train loss {e.TrainLoss:0.0000}, " +
                $"train error {e.TrainError:P2}, val loss {e.ValidationLoss:0.0000}, val top-1 error {e.ValidationTop1Error:P2}" +
                (top5 ? $", top-5 error {e.ValidationTop5Error:P2}" : "") + $" ({e.Seconds:0} s, {e.ImagesPerSecond:N0} images/s)");
            Curves.Write(Path.Combine(directory, "curves.png"), info.Name, history, run.Options.LabelSmoothing);
        };

        // Ctrl+C finishes the step under way and saves where the run stands; a second Ctrl+C kills it.
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancel.IsCancellationRequested)
                return;
            e.Cancel = true;
            cancel.Cancel();
            Console.Error.WriteLine("\nnetgen: stopping after this step; the run will be saved to resume with --resume");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var outcome = run.Run(resume, cancel.Token);
            bar.Finish();
            if (outcome.Best is { } best)
                Console.WriteLine($"best: epoch {best.Epoch}, validation top-1 accuracy {1 - best.ValidationTop1Error:P2}" +
                    (top5 ? $", top-5 {1 - best.ValidationTop5Error:P2}" : "") + $" -> {Path.Combine(directory, TrainingRun.BestFile)}");
            if (unreadable.Files.Count > 0)
                Console.WriteLine($"skipped {unreadable.Files.Count:N0} unreadable image(s), named in the warnings above; --strict makes one an error");
            if (!outcome.Completed)
                Console.WriteLine($"interrupted; continue with: netgen train {name} --data {dataPath} --out {directory} --resume");
            return outcome.Completed ? 0 : 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>The policy for unreadable images: skipped with a warning on standard error, or an error with <c>--strict</c>.</summary>
    public static UnreadableImages Unreadable(Options options)
    {
        var unreadable = new UnreadableImages { Strict = options.Flag("--strict") };
        unreadable.Skipped += (path, reason) => Console.Error.WriteLine($"\nnetgen: warning: {path}: {reason}; skipped");
        return unreadable;
    }

    private static string DefaultData() => IdxDataset.IsIdxFolder(FashionMnist) ? FashionMnist : Sample;
}
