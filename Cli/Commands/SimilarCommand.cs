using System;
using System.CommandLine;
using System.Linq;
using NetGen.Data;
using NetGen.CommandLine.Reports;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen similar &lt;network&gt; --weights W --data PATH IMAGE [--k 8] [--out grid.png]</c>: the training
/// images whose last hidden layer (fc7 in AlexNet) is nearest to IMAGE's in Euclidean distance, as in the
/// paper's section 6.1. Prints them and draws the query and its neighbours in a row.
/// </summary>
internal static class SimilarCommand
{
    public static Command Create()
    {
        var run = new TrainedRun.Arguments();
        var image = new Argument<string>("image") { Description = "the query: an image file, or train:N / val:N for image N of a split of --data" };
        var data = Options.Path("--data", "the dataset whose training images are searched", "PATH", required: true);
        var k = Options.PositiveInt("--k", "how many neighbours to show", 8, "K");
        var output = Options.Path("--out", "the PNG to write: the query, framed, then its neighbours, nearest first", "PNG", "similar.png");
        var batch = Options.PositiveInt("--batch", "images per forward pass", 100, "B");
        var strict = TrainCommand.StrictOption();
        var command = run.AddTo(new Command("similar", "The k training images nearest to IMAGE in the last hidden layer (fc7 in AlexNet), printed and drawn in a row, as in section 6.1 of the paper.")
        {
            image, data, k, output, batch, strict,
        });
        command.SetAction(parsed =>
        {
            using var opened = run.Open(parsed);
            return Run(opened, parsed.GetValue(image)!, parsed.GetValue(data)!, parsed.GetValue(k), parsed.GetValue(output)!, parsed.GetValue(batch), parsed.GetValue(strict));
        });
        return Verbs.WithExamples(command, "similar minialexnet --weights runs/minialexnet-20261206-120000/best.safetensors --data /usr/share/datasets/fashion-mnist val:17 --k 8 --out similar.png");
    }

    private static int Run(TrainedRun run, string query, string data, int k, string output, int batchSize, bool strict)
    {
        var info = run.Network.Info;
        var splits = DataSplits.Open(data, info.Input.Channels, TrainCommand.Unreadable(strict));
        var train = splits.Train;
        string layer = info.Layers[^2].Name;
        using var pass = run.Network.CreateForwardPass(batchSize);
        string activation = Evaluator.OutputOf(pass, layer);

        var bar = new ProgressBar();
        var features = Evaluator.Features(pass, train, run.Augmenter, activation, done => bar.Update($"{activation} of the training images", done, train.Count, "images"));
        bar.Finish();
        var (square, name) = run.ReadImage(query, () => splits);
        var input = new float[pass.BatchSize * info.Input.Size];
        run.Augmenter.Write(square, run.Augmenter.Centre, default, input.AsSpan(0, info.Input.Size));
        pass.Run(input);
        int size = pass.ShapeOf(activation).Size;
        var target = pass.Read(activation).AsSpan(0, size).ToArray();

        var nearest = Enumerable.Range(0, train.Count)
            .Select(i => (Index: i, Distance: Distance(features.AsSpan(i * size, size), target)))
            .OrderBy(x => x.Distance).ThenBy(x => x.Index).Take(k).ToArray();
        Console.WriteLine($"{name}: the {nearest.Length} training images nearest in {activation} ({size} values), Euclidean distance:");
        foreach (var (index, distance) in nearest)
            Console.WriteLine($"  {distance,10:0.000}  train:{index}  {train.Describe(index)}  {run.Statistics.Classes[train.Label(index)]}");

        int side = run.Statistics.Preprocessing.Size, scale = Math.Max(1, 96 / side), tile = side * scale, gap = 6;
        var grid = new ImageGrid((nearest.Length + 1) * (tile + gap) + gap + gap, tile + 2 * gap);
        grid.Paste(square.Pixels, side, side, square.Channels, gap, gap, scale);
        grid.Frame(gap / 2, gap / 2, tile + gap, tile + gap, 2, (200, 30, 30));
        for (int n = 0; n < nearest.Length; n++)
        {
            var image = run.Augmenter.Square(train.Read(nearest[n].Index));
            grid.Paste(image.Pixels, side, side, image.Channels, gap + (n + 1) * (tile + gap) + gap, gap, scale);
        }
        grid.Save(output);
        Console.WriteLine($"query (framed) and neighbours, nearest first -> {output}");
        return 0;
    }

    private static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += (double)(a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(sum);
    }
}
