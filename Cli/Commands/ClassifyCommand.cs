using System;
using System.CommandLine;
using System.Linq;
using NetGen.Data;

namespace NetGen.CommandLine;

/// <summary><c>netgen classify &lt;network&gt; --weights W IMAGE...</c>: each image's five likeliest classes, by name, averaged over the ten crops.</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var run = new TrainedRun.Arguments();
        var images = new Argument<string[]>("image")
        {
            Description = "an image file, or train:N / val:N for image N of a split of --data",
            Arity = ArgumentArity.OneOrMore,
        };
        var data = Options.Path("--data", "the dataset that train:N and val:N refer to", "PATH");
        var command = run.AddTo(new Command("classify", "Each image's five likeliest classes, by name, with their probabilities (the ten crops averaged).") { images, data });
        command.SetAction(parsed =>
        {
            using var opened = run.Open(parsed);
            return Run(opened, parsed.GetValue(images)!, parsed.GetValue(data));
        });
        return Verbs.WithExamples(command, "classify minialexnet --weights runs/minialexnet-20261206-120000/best.safetensors shirt.png",
            "classify minialexnet --weights runs/minialexnet-20261206-120000/best.safetensors --data /usr/share/datasets/fashion-mnist val:17");
    }

    private static int Run(TrainedRun run, string[] images, string? data)
    {
        var info = run.Network.Info;
        var crops = run.Augmenter.TenCrops;
        using var pass = run.Network.CreateForwardPass(crops.Count);
        foreach (string argument in images)
        {
            var (square, name) = run.ReadImage(argument, () => DataSplits.Open(
                data ?? throw new UsageException($"{argument} names an image of a dataset; say which with --data PATH"), info.Input.Channels));
            var input = new float[crops.Count * info.Input.Size];
            for (int c = 0; c < crops.Count; c++)
                run.Augmenter.Write(square, crops[c], default, input.AsSpan(c * info.Input.Size, info.Input.Size));
            var scores = Evaluator.Scores(pass, input, crops.Count)[0];
            Console.WriteLine($"{name}:");
            foreach (int i in scores.Top(5)) // Ranking's order, as eval ranks
                Console.WriteLine($"  {scores.Probability(i),8:P2}  {run.Statistics.Classes[i]}");
        }
        return 0;
    }
}
