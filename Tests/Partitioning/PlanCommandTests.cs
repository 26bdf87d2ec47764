using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetGen.Tests.Commands;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Partitioning;

/// <summary>
/// <c>netgen plan</c> against figures worked out by hand from AlexNet's shapes (ALEXNET.md), and
/// <c>netgen step --devices 2</c> against <c>netgen step</c>.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class PlanCommandTests
{
    private static (int Code, string Output) Netgen(params string[] args) => CommandTests.Netgen(args);

    [Fact]
    public void AlexNetsJsonPlanReproducesThePapersSplit()
    {
        var (code, output) = Netgen("plan", "alexnet", "--json", "--data-parallel");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("devices").GetInt32());

        // Parameters per layer from ALEXNET.md's table, split in two: every layer's kernels and units halve.
        (string Name, long Parameters, bool Gathers)[] layers =
        [
            ("conv1", 34_944, false), ("conv2", 307_456, false), ("conv3", 885_120, true), ("conv4", 663_936, false),
            ("conv5", 442_624, false), ("fc6", 37_752_832, true), ("fc7", 16_781_312, true), ("fc8", 4_097_000, true),
        ];
        var planned = root.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(layers.Select(l => l.Name), planned.Select(l => l.GetProperty("name").GetString()));
        foreach (var (layer, (name, parameters, gathers)) in planned.Zip(layers))
        {
            Assert.Equal(new[] { parameters / 2, parameters / 2 }, layer.GetProperty("params").EnumerateArray().Select(p => p.GetInt64()));
            Assert.Equal(gathers, layer.GetProperty("reads_other_device").GetBoolean());
        }
        Assert.Equal(30_482_612, planned.Sum(l => l.GetProperty("params")[0].GetInt64()));
        Assert.Equal(30_482_612, planned.Sum(l => l.GetProperty("params")[1].GetInt64()));

        // Per image, each way: half of conv2's pooled maps (128 x 13 x 13 floats), half of conv5's (128 x 6 x 6),
        // half of fc6's and fc7's units (2048), half of the logits (500) for the softmax.
        long[] forward = [128 * 13 * 13 * 4, 128 * 6 * 6 * 4, 2048 * 4, 2048 * 4, 500 * 4];
        Assert.Equal(new long[] { 86_528, 18_432, 8_192, 8_192, 2_000 }, forward);
        string[] into = ["conv3", "fc6", "fc7", "fc8", "loss"];
        var transfers = root.GetProperty("transfers").EnumerateArray()
            .Select(t => (Layer: t.GetProperty("layer").GetString(), Pass: t.GetProperty("pass").GetString(), From: t.GetProperty("from").GetInt32(),
                To: t.GetProperty("to").GetInt32(), Bytes: t.GetProperty("bytes_per_image").GetInt64()))
            .ToArray();
        foreach (var (from, to) in new[] { (0, 1), (1, 0) })
        {
            Assert.Equal(into.Zip(forward), transfers.Where(t => t.Pass == "forward" && t.From == from && t.To == to).Select(t => (t.Layer!, t.Bytes)));
            // The backward pass returns the gradients of the same slices, the loss's excepted (every device computes it whole).
            Assert.Equal(into.Zip(forward).Take(4), transfers.Where(t => t.Pass == "backward" && t.From == from && t.To == to).Select(t => (t.Layer!, t.Bytes)));
        }
        Assert.Equal(18, transfers.Length);

        // Krizhevsky's 2014 scheme keeps conv1-conv5 whole on each device and exchanges their weight gradients once a step.
        var dataParallel = root.GetProperty("data_parallel");
        Assert.Equal(2_334_080, dataParallel.GetProperty("replicated_conv_params").GetInt64());
        Assert.Equal(2_334_080L * 4, dataParallel.GetProperty("weight_gradient_bytes_sent_per_step").GetInt64());
        Assert.Equal(18_432 + 8_192 + 8_192 + 2_000, dataParallel.GetProperty("forward_bytes_sent_per_image").GetInt64());
    }

    [Fact]
    public void ThePlanTableNamesEveryTransferAndANetworkWithOneColumnHasNone()
    {
        var (code, output) = Netgen("plan", "minialexnet");
        Assert.Equal(0, code);
        Assert.Contains("forward   conv3  conv2.maxpool[0:32]", output);
        Assert.Contains("backward  fc6    conv5.grad[32:64]", output);
        Assert.Contains($"each device: {2_086_538 / 2:N0} parameters", output);
    }

    [Fact]
    public void StepOnTwoDevicesMatchesStepOnOne()
    {
        using var folder = new TemporaryFolder();
        string weights = Path.Combine(folder.Path, "w.safetensors"), input = Path.Combine(folder.Path, "x.safetensors");
        Assert.Equal(0, Netgen("init", "minialexnet", "--seed", "2", "--out", weights, "--device", "cpu").Code);
        SafeTensorsFile.Write(input, [
            SafeTensor.Float32("input", Numbers.Uniform(6 * 28 * 28, 4, scale: 2f), 6, 1, 28, 28),
            SafeTensor.Int64("labels", [3, 1, 4, 1, 5, 9], 6),
        ]);
        string one = Path.Combine(folder.Path, "one.safetensors"), two = Path.Combine(folder.Path, "two.safetensors");
        Assert.Equal(0, Netgen("step", "minialexnet", "--weights", weights, "--input", input, "--out", one, "--device", "cpu").Code);
        var (code, output) = Netgen("step", "minialexnet", "--weights", weights, "--input", input, "--out", two, "--device", "cpu", "--devices", "2");
        Assert.True(code == 0, output);
        Assert.Contains("split over 2 devices", output);
        var a = SafeTensorsFile.Read(one);
        var b = SafeTensorsFile.Read(two);
        Assert.Equal(a.Tensors.Select(t => t.Name), b.Tensors.Select(t => t.Name));
        foreach (var tensor in a.Tensors)
        {
            float[] x = tensor.ToFloats(), y = b[tensor.Name].ToFloats();
            double difference = Math.Sqrt(x.Zip(y).Sum(p => Math.Pow((double)p.First - p.Second, 2))), norm = Math.Sqrt(x.Sum(v => (double)v * v));
            Assert.True(difference <= 1e-5 * norm, $"{tensor.Name}: {difference / norm:E2} relative difference");
        }
    }
}
