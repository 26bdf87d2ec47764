using System;
using System.Linq;
using NetGen.Data;

namespace NetGen.CommandLine;

/// <summary><c>netgen classify &lt;network&gt; --weights W IMAGE...</c>: each image's five likeliest classes, by name, averaged over the ten crops.</summary>
internal static class ClassifyCommand
{
    public static int Run(Options options)
    {
        var images = options.PositionalFrom(1);
        if (images.Count == 0)
            throw new UsageException("classify needs at least one image (a file, or train:N / val:N with --data)");
        using var run = TrainedRun.Open(options);
        var info = run.Network.Info;
        var crops = run.Augmenter.TenCrops;
        using var pass = run.Network.CreateForwardPass(crops.Count);
        foreach (string argument in images)
        {
            var (square, name) = run.ReadImage(argument, () => DataSplits.Open(options.Required("--data"), info.Input.Channels));
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
