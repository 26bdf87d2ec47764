using System;
using System.IO;
using System.Text.Json;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Commands;

/// <summary><c>netgen bench --pipeline</c>: the input pipeline timed on generated JPEGs or a folder of them, damaged files named as training names them.</summary>
[Collection(ConsoleCollection.Name)]
public class PipelineBenchTests
{
    private static readonly string[] Quick = ["--warmup", "1", "--iterations", "1", "--json"];

    /// <summary>The figures every report has: each stage's rate, positive, its median inside its iterations' range, and the cores worked out from the one core's rate.</summary>
    private static JsonElement CheckRates(string output, bool resized)
    {
        var root = JsonDocument.Parse(output).RootElement.Clone();
        Assert.Equal("pipeline", root.GetProperty("mode").GetString());
        // Images of 256 pixels need no resize, and the report has no rate for it.
        Assert.Equal(resized, root.TryGetProperty("resize_images_per_second", out _));
        foreach (string stage in resized ? ["decode", "resize", "augment", "one_core", "all_cores"] : new[] { "decode", "augment", "one_core", "all_cores" })
        {
            double median = root.GetProperty($"{stage}_images_per_second").GetDouble();
            Assert.True(median > 0, $"{stage}: {median} images/s");
            Assert.InRange(median, root.GetProperty($"{stage}_images_per_second_min").GetDouble(), root.GetProperty($"{stage}_images_per_second_max").GetDouble());
        }
        double target = root.GetProperty("target_images_per_second").GetDouble();
        Assert.Equal(1580.247, target);
        Assert.Equal((int)Math.Ceiling(target / root.GetProperty("one_core_images_per_second").GetDouble()), root.GetProperty("cores_needed").GetInt32());
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("threads").GetInt32());
        Assert.InRange(root.GetProperty("all_cores_busy").GetDouble(), 0.01, Environment.ProcessorCount + 1.0); // GC threads may add a little
        return root;
    }

    [Fact]
    public void WithoutDataItMeasuresSyntheticJpegsAndSaysSo()
    {
        var (code, output, error) = CommandLineTests.Netgen(["bench", "alexnet", "--pipeline", "--images", "6", .. Quick]);
        Assert.True(code == 0, error);
        var root = CheckRates(output, resized: false);
        Assert.True(root.GetProperty("synthetic").GetBoolean());
        Assert.Equal(6, root.GetProperty("images").GetInt32());
        Assert.Equal(0, root.GetProperty("skipped_images").GetInt32());
        Assert.Equal(6, root.GetProperty("batch").GetInt32()); // AlexNet's batch of 128, cut to the images there are
        Assert.InRange(root.GetProperty("mean_file_bytes").GetDouble(), 5_000, 60_000);
        Assert.Contains("6 synthetic 256x256 JPEGs", error);
        Assert.Contains("cores needed to feed a GPU that trains AlexNet at 1,580 images/s", error);
    }

    [Fact]
    public void ADamagedFileInTheFolderIsNamedAndSkippedAndStrictStopsAtIt()
    {
        using var folder = new TemporaryFolder();
        SyntheticImages.Write(folder.Path, 6, 300, classes: 2); // 300 pixels: AlexNet's pipeline resizes them to 256
        // One file fails its header check; another is cut inside its scan, so it fails only when decoded (and the next image of its class stands in).
        string broken = Path.Combine(folder.Path, "class0", "broken.jpg"), truncated = Path.Combine(folder.Path, "class1", "truncated.jpg");
        File.WriteAllBytes(broken, [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var whole = File.ReadAllBytes(Path.Combine(folder.Path, "class1", "00001.jpg"));
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);

        var (code, output, error) = CommandLineTests.Netgen(["bench", "alexnet", "--data", folder.Path, .. Quick]);

        Assert.True(code == 0, error);
        var root = CheckRates(output, resized: true);
        Assert.False(root.GetProperty("synthetic").GetBoolean());
        Assert.Equal(7, root.GetProperty("images").GetInt32()); // the truncated file's place is timed with its stand-in, as training would
        Assert.Equal(2, root.GetProperty("skipped_images").GetInt32());
        Assert.Contains($"netgen: warning: {broken}: cut off: the file ends after 20 bytes, before its frame header (SOF); skipped", error);
        Assert.Contains($"netgen: warning: {truncated}: ", error);
        Assert.Contains("skipped 2 unreadable images, named in the warnings above", error);

        (code, _, error) = CommandLineTests.Netgen(["bench", "alexnet", "--data", folder.Path, "--strict", .. Quick]);
        Assert.Equal(1, code);
        Assert.StartsWith($"netgen: {broken}: cut off", error);

        File.Delete(broken);
        (code, _, error) = CommandLineTests.Netgen(["bench", "alexnet", "--data", folder.Path, "--strict", .. Quick]);
        Assert.Equal(1, code);
        Assert.StartsWith($"netgen: {truncated}: ", error.TrimEnd().Split('\n')[^1]); // the last line, after what --json sends to standard error
        Assert.Contains("--strict", error);
    }
}
