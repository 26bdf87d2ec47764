using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetGen.Data;

namespace NetGen.CommandLine;

/// <summary><c>netgen eval &lt;network&gt; --weights W --data PATH [--ten-crop] [--json] [--strict]</c>: top-1 and top-5 over the whole validation (test) split.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var run = new TrainedRun.Arguments();
        var data = Options.Path("--data", "the dataset: its validation (test) split is measured; an image folder or IDX files, as train reads them", "PATH", required: true);
        var tenCropOption = Options.Flag("--ten-crop", "average the softmax over the paper's ten crops (corners, centre, and their mirror images) instead of the centre crop");
        var jsonOption = Options.Flag("--json", "print one JSON object: top1_accuracy, top5_accuracy, images, skipped_images, ...");
        var batch = Options.PositiveInt("--batch", "images per forward pass", 100, "B");
        var strict = TrainCommand.StrictOption();
        var command = run.AddTo(new Command("eval", "Top-1 and top-5 accuracy and the loss over the whole validation (test) split.") { data, tenCropOption, jsonOption, batch, strict });
        command.SetAction(parsed =>
        {
            using var opened = run.Open(parsed);
            return Run(opened, parsed.GetValue(data)!, parsed.GetValue(tenCropOption), parsed.GetValue(jsonOption), parsed.GetValue(batch), parsed.GetValue(strict));
        });
        return Verbs.WithExamples(command, "eval minialexnet --weights runs/minialexnet-20261206-120000/best.safetensors --data /usr/share/datasets/fashion-mnist --json");
    }

    private static int Run(TrainedRun run, string data, bool tenCrop, bool json, int batch, bool strict)
    {
        var info = run.Network.Info;
        var unreadable = TrainCommand.Unreadable(strict);
        var dataset = DataSplits.OpenValidation(data, info.Input.Channels, unreadable);
        if (!dataset.Classes.SequenceEqual(run.Statistics.Classes))
            throw new InvalidDataException($"{dataset.Source}: its classes ({ClassCount.Listed(dataset.Classes)}) " +
                $"are not the {run.Statistics.Classes.Count} the run was trained on ({ClassCount.Listed(run.Statistics.Classes)}).");
        bool top5 = ClassCount.HasTop5(info.Output.Size);
        using var pass = run.Network.CreateForwardPass(batch);
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
            Console.WriteLine($"skipped {TrainCommand.Plural(unreadable.Files.Count, "unreadable image")}, named in the warnings above");
        return 0;
    }

    /// <summary>A fraction of images to six decimals, so an error of 1 - 0.8961 prints as 0.1039, not 0.10389999999999999.</summary>
    private static double Fraction(double value) => Math.Round(value, 6, MidpointRounding.AwayFromZero);
}
