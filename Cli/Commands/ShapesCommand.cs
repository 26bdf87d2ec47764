using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;

namespace NetGen.CommandLine;

/// <summary><c>netgen shapes &lt;network&gt;</c>: the table of layers the generator worked out at build time.</summary>
internal static class ShapesCommand
{
    public static Command Create()
    {
        var network = Options.Network();
        var command = new Command("shapes", "Every layer's operations, output shape, parameters and multiply-adds, the totals and the spatial chain (AlexNet: 227 -> 55 -> 27 -> 13 -> 6).")
        {
            network,
        };
        command.SetAction(parsed =>
        {
            Console.Write(Table(NamedNetworks.Get(parsed.GetValue(network)!).Info));
            return 0;
        });
        return Verbs.WithExamples(command, "shapes alexnet", "shapes minialexnet");
    }

    /// <summary>One row per operation; parameters and multiply-adds on the layer's first row; totals and the spatial chain below.</summary>
    public static string Table(NetworkInfo info)
    {
        var rows = new List<string[]> { new[] { "layer", "operation", "output", "parameters", "multiply-adds" } };
        rows.Add(["input", "", info.Input.ToString(), "", ""]);
        foreach (var layer in info.Layers)
            for (int i = 0; i < layer.Operations.Count; i++)
                rows.Add([
                    i == 0 ? layer.Name : "",
                    layer.Operations[i].Description,
                    layer.Operations[i].Output.ToString(),
                    i == 0 ? info.TrainedParametersOf(layer).ToString("N0") : "",
                    i == 0 ? layer.MultiplyAdds.ToString("N0") : "",
                ]);
        rows.Add(["total", "", info.Output.ToString(), info.TrainedParameterCount.ToString("N0"), info.MultiplyAdds.ToString("N0")]);

        int[] widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{info.Name}: {info.Input} input, {info.Columns} column{(info.Columns == 1 ? "" : "s")}");
        foreach (var row in rows)
        {
            if (row[0] == "total")
                text.AppendLine(new string('-', widths.Sum() + 8));
            text.AppendLine(string.Join("  ",
                row.Select((cell, c) => c >= 3 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
        }
        text.AppendLine($"spatial size: {string.Join(" -> ", SpatialChain(info))}");
        text.AppendLine($"{info.DescribeParameters()}, {info.MultiplyAdds:N0} multiply-adds per image forward ({Flops(2.0 * info.MultiplyAdds)})");
        return text.ToString();
    }

    /// <summary>A FLOP count with the unit that keeps its digits: 1.45 GFLOP, 2.03 MFLOP.</summary>
    public static string Flops(double flops) =>
        flops >= 1e9 ? $"{flops / 1e9:0.##} GFLOP" : flops >= 1e6 ? $"{flops / 1e6:0.##} MFLOP" : $"{flops / 1e3:0.##} kFLOP";

    /// <summary>The input's height and each new height after it: 227 -> 55 -> 27 -> 13 -> 6 for AlexNet.</summary>
    public static IEnumerable<int> SpatialChain(NetworkInfo info)
    {
        int last = info.Input.Height;
        yield return last;
        foreach (var op in info.Layers.SelectMany(l => l.Operations))
            if (op.Output.Height != last && !(op.Output.Height == 1 && op.Output.Width == 1))
                yield return last = op.Output.Height;
    }
}
