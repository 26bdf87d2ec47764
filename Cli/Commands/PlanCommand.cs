using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen plan &lt;network&gt; [--json] [--data-parallel] [--batch B]</c>: the partition plan the generator
/// worked out for a network with several columns, as a table or one JSON object; with
/// <c>--data-parallel</c> also what Krizhevsky's 2014 scheme would move instead.
/// </summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var network = Options.Network();
        var json = Options.Flag("--json", "print one JSON object instead of the tables");
        var dataParallel = Options.Flag("--data-parallel", "add what Krizhevsky's 2014 scheme (data parallel convolutions, model parallel dense layers) would send instead");
        var batch = Options.PositiveInt("--batch", "the batch size the --data-parallel estimate assumes", 128, "B");
        var command = new Command("plan", "The split of a network with several columns over one device per column: each layer's share, every transfer and its bytes per image, each device's memory and arithmetic.")
        {
            network, json, dataParallel, batch,
        };
        command.SetAction(parsed =>
        {
            var entry = NamedNetworks.Get(parsed.GetValue(network)!);
            var info = entry.Info;
            var plan = entry.Partition
                ?? throw new UsageException($"{info.Name} declares one column, so it has no partition plan; declare [Network(Columns = 2)] to split it over two devices");
            var estimate = parsed.GetValue(dataParallel) ? DataParallelEstimate.For(info, plan, parsed.GetValue(batch)) : null;
            Console.Write(parsed.GetValue(json) ? Json(info, plan, estimate) + "\n" : Table(info, plan, estimate));
            return 0;
        });
        return Verbs.WithExamples(command, "plan alexnet", "plan alexnet --json --data-parallel --batch 128");
    }

    /// <summary>One JSON object: <c>devices</c>, <c>layers</c> (name, params per device, reads_other_device, ...), <c>transfers</c>, <c>per_device</c>, ...</summary>
    public static string Json(NetworkInfo info, PartitionInfo plan, DataParallelEstimate? dataParallel)
    {
        var devices = Enumerable.Range(0, plan.Devices).ToArray();
        var root = new Dictionary<string, object?>
        {
            ["network"] = info.Name,
            ["devices"] = plan.Devices,
            ["layers"] = plan.Layers.Select(l => new Dictionary<string, object>
            {
                ["name"] = l.Name,
                ["params"] = devices.Select(_ => l.ParametersPerDevice).ToArray(),
                ["reads_other_device"] = l.ReadsOtherDevice,
                ["outputs"] = devices.Select(d => new[] { l.FirstOutput(d), l.FirstOutput(d) + l.OutputsPerDevice }).ToArray(),
                ["replicated"] = l.Replicated,
                ["multiply_adds_per_image"] = devices.Select(_ => l.MultiplyAddsPerDevice).ToArray(),
            }).ToArray(),
            ["transfers"] = plan.Transfers.Select(t => new Dictionary<string, object>
            {
                ["layer"] = t.Layer,
                ["pass"] = t.Pass,
                ["from"] = t.From,
                ["to"] = t.To,
                ["bytes_per_image"] = t.BytesPerImage,
                ["tensor"] = t.Tensor,
            }).ToArray(),
            ["per_device"] = devices.Select(d => new Dictionary<string, object>
            {
                ["device"] = d,
                ["params"] = plan.ParametersPerDevice,
                ["param_bytes"] = plan.ParametersPerDevice * sizeof(float),
                ["activation_bytes_per_image"] = plan.ActivationFloatsPerImage * sizeof(float),
                ["multiply_adds_per_image"] = plan.MultiplyAddsPerDevice,
                ["forward_bytes_sent_per_image"] = plan.BytesSentPerImage(d, "forward"),
                ["backward_bytes_sent_per_image"] = plan.BytesSentPerImage(d, "backward"),
                ["bytes_sent_per_multiply_add"] = plan.BytesPerMultiplyAdd(d),
            }).ToArray(),
        };
        if (dataParallel is { } e)
            root["data_parallel"] = new Dictionary<string, object>
            {
                ["batch"] = e.BatchSize,
                ["params_per_device"] = e.ParametersPerDevice,
                ["replicated_conv_params"] = e.ConvolutionParameters,
                ["forward_bytes_sent_per_image"] = e.ActivationBytesPerImage,
                ["backward_bytes_sent_per_image"] = e.GradientBytesPerImage,
                ["weight_gradient_bytes_sent_per_step"] = e.WeightGradientBytesPerStep,
                ["bytes_sent_per_image"] = e.BytesSentPerImage,
            };
        return JsonSerializer.Serialize(root);
    }

    /// <summary>The plan as people read it: a row per layer, a row per transfer, each device's totals.</summary>
    public static string Table(NetworkInfo info, PartitionInfo plan, DataParallelEstimate? dataParallel)
    {
        var text = new StringBuilder();
        text.AppendLine($"{info.Name} over {plan.Devices} devices, one column each (model parallel, as in section 3.2 of the paper)");
        text.AppendLine();
        var rows = new List<string[]> { new[] { "layer", "reads other device", "outputs per device", "parameters per device", "multiply-adds per image per device" } };
        foreach (var l in plan.Layers)
            rows.Add([l.Name, l.ReadsOtherDevice ? "yes" : "no",
                l.Replicated ? $"every device: 0-{l.OutputsPerDevice - 1}"
                    : string.Join(" | ", Enumerable.Range(0, plan.Devices).Select(d => $"{d}: {l.FirstOutput(d)}-{l.FirstOutput(d) + l.OutputsPerDevice - 1}")),
                l.ParametersPerDevice.ToString("N0"), l.MultiplyAddsPerDevice.ToString("N0")]);
        Write(text, rows, rightAligned: 3);
        foreach (var l in plan.Layers.Where(l => l.Replicated))
            text.AppendLine($"{l.Name}'s {l.OutputsPerDevice} outputs do not split evenly over {plan.Devices} devices, so every device computes the whole layer " +
                "from the gathered input: the loss needs no transfer, and no gradient goes back from it");
        text.AppendLine();
        rows = [["pass", "into", "slice", "from", "to", "bytes per image"]];
        foreach (var t in plan.Transfers)
            rows.Add([t.Pass, t.Layer, t.Tensor, $"device {t.From}", $"device {t.To}", t.BytesPerImage.ToString("N0")]);
        Write(text, rows, rightAligned: 5);
        text.AppendLine();
        text.AppendLine($"each device: {plan.ParametersPerDevice:N0} parameters ({Megabytes(plan.ParametersPerDevice * sizeof(float))}), " +
            $"{Megabytes(plan.ActivationFloatsPerImage * sizeof(float))} of activations per image (its slices and the gathered copies), " +
            $"{plan.MultiplyAddsPerDevice:N0} multiply-adds per image");
        text.AppendLine($"each device sends per image: {plan.BytesSentPerImage(0, "forward"):N0} bytes forward, {plan.BytesSentPerImage(0, "backward"):N0} bytes backward; " +
            $"one byte per {1 / plan.BytesPerMultiplyAdd(0):N0} multiply-adds of a training step (backward counted as twice forward)");
        if (dataParallel is { } e)
        {
            text.AppendLine();
            text.AppendLine($"data parallel in the convolutions, model parallel in the dense layers (Krizhevsky 2014), batch {e.BatchSize}:");
            text.AppendLine($"  each device: {e.ParametersPerDevice:N0} parameters ({e.ConvolutionParameters:N0} convolution parameters on every device)");
            text.AppendLine($"  each device sends per image: {e.ActivationBytesPerImage:N0} bytes forward, {e.GradientBytesPerImage:N0} bytes backward, " +
                $"and per step {e.WeightGradientBytesPerStep:N0} bytes of convolution weight gradients ({(double)e.WeightGradientBytesPerStep / e.BatchSize:N0} per image)");
            double model = plan.BytesSentPerImage(0, "forward") + plan.BytesSentPerImage(0, "backward");
            text.AppendLine($"  in all {e.BytesSentPerImage:N0} bytes per image against the column split's {model:N0} ({e.BytesSentPerImage / model:0.00}x)");
        }
        return text.ToString();
    }

    private static string Megabytes(long bytes) => $"{bytes / 1e6:0.0} MB";

    private static void Write(StringBuilder text, List<string[]> rows, int rightAligned)
    {
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c >= rightAligned ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
    }
}
