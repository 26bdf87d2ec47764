using System;
using System.CommandLine;
using System.Linq;
using NetGen.CommandLine.Reports;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen filters &lt;network&gt; --weights W --out conv1.png</c>: the first layer's kernels as an image,
/// one block per column (AlexNet's two GPUs) side by side, as in the paper's figure 3. Each kernel is
/// scaled by its own largest magnitude, so mid-grey is zero.
/// </summary>
internal static class FiltersCommand
{
    public static Command Create()
    {
        var network = Options.Network();
        var weights = Options.Path("--weights", "the trained weights (a run's best.safetensors)", "W.safetensors", required: true);
        var output = Options.Path("--out", "the PNG to write [default: the first layer's name, conv1.png]", "PNG");
        var command = new Command("filters", "Draw the first layer's kernels as a PNG grid, one block per column (AlexNet's two GPUs) side by side.") { network, weights, output };
        command.SetAction(parsed => Run(parsed.GetValue(network)!, parsed.GetValue(weights)!, parsed.GetValue(output)));
        return Verbs.WithExamples(command, "filters minialexnet --weights runs/minialexnet-20261206-120000/best.safetensors --out conv1.png");
    }

    private static int Run(string name, string weightsPath, string? output)
    {
        var info = NamedNetworks.Get(name).Info;
        var weight = info.Parameters[0];
        if (weight.Dimensions.Count != 4)
            throw new UsageException($"{info.Name}'s first layer is not a convolution; it has no filters to draw");
        output ??= info.Layers[0].Name.ToLowerInvariant() + ".png";
        var parameters = Checkpoint.Load(weightsPath, info).Parameters;
        int filters = weight.Dimensions[0], inputs = weight.Dimensions[1], kh = weight.Dimensions[2], kw = weight.Dimensions[3];
        int columns = info.Columns, perColumn = filters / columns;
        int across = (int)Math.Ceiling(Math.Sqrt(perColumn * 3.0 / 4.0)), down = (perColumn + across - 1) / across;
        int scale = Math.Max(1, 44 / Math.Max(kh, kw)), gap = 4, columnGap = 24;
        int tileW = kw * scale, tileH = kh * scale;
        int blockW = across * (tileW + gap) - gap, blockH = down * (tileH + gap) - gap;
        var grid = new ImageGrid(columns * blockW + (columns - 1) * columnGap + 2 * gap, blockH + 2 * gap);
        int channels = inputs == 3 ? 3 : 1;
        for (int f = 0; f < filters; f++)
        {
            var values = parameters.AsSpan((int)weight.Offset + f * inputs * kh * kw, inputs * kh * kw).ToArray();
            float largest = Math.Max(1e-12f, values.Max(Math.Abs));
            var tile = new byte[kh * kw * channels];
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    for (int c = 0; c < channels; c++)
                    {
                        // Grey kernels of a many-channel first layer show the channels' mean.
                        float v = channels == 3 ? values[(c * kh + y) * kw + x] : Enumerable.Range(0, inputs).Average(i => values[(i * kh + y) * kw + x]);
                        tile[(y * kw + x) * channels + c] = (byte)Math.Clamp(MathF.Round(127.5f + 127.5f * v / largest), 0, 255);
                    }
            int column = f / perColumn, within = f % perColumn;
            int left = gap + column * (blockW + columnGap) + within % across * (tileW + gap), top = gap + within / across * (tileH + gap);
            grid.Paste(tile, kw, kh, channels, left, top, scale);
        }
        grid.Save(output);
        Console.WriteLine($"{info.Name}: {filters} kernels of {inputs} x {kh} x {kw}{(columns > 1 ? $" ({columns} columns of {perColumn}, side by side)" : "")} -> {output}");
        return 0;
    }
}
