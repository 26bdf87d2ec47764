using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetGen.Data;

namespace NetGen.CommandLine;

/// <summary><c>netgen eval &lt;network&gt; --weights W --data PATH [--ten-crop] [--json] [--strict]</c>: top-1 and top-5 over the whole validation (test) split.</summary>
internal static class EvalCommand
{
    public static int Run(Options options)
    {
        using var run = TrainedRun.Open(options);
        var info = run.Network.Info;
        var unreadable = TrainCommand.Unreadable(options);
        var dataset = DataSplits.OpenValidation(options.Required("--data"), info.Input.Channels, unreadable);
        if (!dataset.Classes.SequenceEqual(run.Statistics.Classes))
            throw new InvalidDataException($"{dataset.Source}: its classes ({ClassCount.Listed(dataset.Classes)}) " +
                $"are not the {run.Statistics.Classes.Count} the run was trained on ({ClassCount.Listed(run.Statistics.Classes)}).");
        bool top5 = ClassCount.HasTop5(info.Output.Size);
        bool tenCrop = options.Flag("--ten-crop"), json = options.Flag("--json");
        using var pass = run.Network.CreateForwardPass(options.Int("--batch", 100));
        var bar = new ProgressBar();
        var result = Evaluator.Evaluate(pass, dataset, run.Augmenter, tenCrop,
            json ? null : done => bar.Update(tenCrop ? "evaluating, ten crops" : "evaluating", done, dataset.Count, "images"));
        bar.Finish();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                network = info.Name,
                data = dataset.Source,
                images = result.Images,
                top1_accuracy = Fraction(result.Top1Accuracy),
                top5_accuracy = top5 ? Fraction(result.Top5Accuracy) : (double?)null,
                top1_error = Fraction(result.Top1Error),
                top5_error = top5 ? Fraction(result.Top5Error) : (double?)null,
                loss = result.Loss,
                ten_crop = tenCrop,
                skipped_images = unreadable.Files.Count,
            }));
            return 0;
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"{info.Name} on {dataset.Source}: {result.Images:N0} images{(tenCrop ? ", ten crops averaged" : ", centre crop")}");
        Console.WriteLine(string.Create(c, $"top-1 accuracy {result.Top1Accuracy:P2} (error {result.Top1Error:P2}), ") +
            (top5 ? string.Create(c, $"top-5 accuracy {result.Top5Accuracy:P2} (error {result.Top5Error:P2}), ") : "") + string.Create(c, $"loss {result.Loss:0.0000}"));
        if (unreadable.Files.Count > 0)
            Console.WriteLine($"skipped {unreadable.Files.Count:N0} unreadable image(s), named in the warnings above");
        return 0;
    }

    /// <summary>A fraction of images to six decimals, so an error of 1 - 0.8961 prints as 0.1039, not 0.10389999999999999.</summary>
    private static double Fraction(double value) => Math.Round(value, 6, MidpointRounding.AwayFromZero);
}
