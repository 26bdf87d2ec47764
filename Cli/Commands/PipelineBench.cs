using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetGen.Data;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen bench &lt;network&gt; --pipeline [--data DIR]</c>: how fast the input pipeline of <c>netgen train</c>
/// turns image files into the network's input, with the same classes training uses: the dataset's
/// <see cref="Dataset.Read"/> (file, structure check, StbImageSharp), <see cref="Augmenter.Square"/> (the
/// resize), <see cref="Augmenter.Write"/> with a random crop, flip and PCA colour shift, the whole
/// <see cref="Augmenter.WriteTraining"/> on one core, and <see cref="Batches.Training"/>, the prefetch queue,
/// on every core. Without <c>--data</c> it writes synthetic JPEGs of the network's image size into a
/// temporary folder and measures those. It then says how many cores keep a GPU fed.
/// </summary>
internal static class PipelineBench
{
    /// <summary>
    /// The default rate to feed, in images/s: AlexNet's training step (forward and backward) at batch 128 took
    /// 81 ms on a Maxwell GTX Titan X with cuDNN R4 (Torch, fp32), in soumith/convnet-benchmarks:
    /// 128 / 0.081 = 1,580 images/s. A GPU of today trains it about ten times faster.
    /// </summary>
    public const double DefaultTarget = 128 / 0.081;

    private const ulong Seed = 2;

    /// <summary>The decoded images and squares kept in memory to time the resize and the augmentation alone: about this many bytes of them (and at least one image).</summary>
    private const long DecodedCacheBytes = 256L << 20;

    public static int Run(NetworkEntry entry, string? data, int images, int? size, int? batchSize, double target, int warmup, int iterations, bool json, bool strict)
    {
        var log = json ? Console.Error : Console.Out;
        var info = entry.Info;
        var preprocessing = Preprocessing.For(entry.Defaults, info.Input);
        int channels = info.Input.Channels;
        var unreadable = TrainCommand.Unreadable(strict);
        string? temporary = null;
        try
        {
            Dataset dataset;
            string source;
            long syntheticBytes = 0;
            if (data is null)
            {
                temporary = Path.Combine(Path.GetTempPath(), "netgen-bench-" + Guid.NewGuid().ToString("N"));
                int side = size ?? preprocessing.Size;
                syntheticBytes = SyntheticImages.Write(temporary, images, side);
                dataset = new ImageFolderDataset(temporary, channels, unreadable);
                source = $"{images:N0} synthetic {side}x{side} JPEGs (generated for this run: gradients, discs and noise, " +
                    $"quality {SyntheticImages.Quality}, {syntheticBytes / (double)images / 1024:0.0} KB each on average; --data DIR measures your own images)";
            }
            else
            {
                var all = Open(data, channels, unreadable);
                dataset = all.Count <= images ? all
                    : new DatasetSubset(all, Enumerable.Range(0, images).Select(k => (int)((long)k * all.Count / images)).ToArray(), all.Source);
                source = dataset.Count < all.Count ? $"{dataset.Count:N0} of the {all.Count:N0} images of {all.Source}, spread evenly over it (--images N takes more)"
                    : $"the {all.Count:N0} images of {all.Source}";
            }
            var report = Measure(info.Name, dataset, preprocessing, info.Input, Math.Min(batchSize ?? TrainingOptions.From(entry.Defaults).BatchSize, dataset.Count),
                target, warmup, iterations, log, source);
            report["synthetic"] = data is null;
            report["data"] = data;
            if (data is null)
                report["mean_file_bytes"] = BenchCommand.Round(syntheticBytes / (double)images);
            report["skipped_images"] = unreadable.Files.Count;
            if (unreadable.Files.Count > 0)
                log.WriteLine($"skipped {TrainCommand.Plural(unreadable.Files.Count, "unreadable image")}, named in the warnings above; --strict makes one an error");
            if (json)
                Console.WriteLine(JsonSerializer.Serialize(report));
            return Cli.Success;
        }
        finally
        {
            if (temporary is not null)
            {
                try
                {
                    Directory.Delete(temporary, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>The images in the all-cores stage's epoch: <paramref name="count"/>'s multiple nearest a thousand batches of <paramref name="batchSize"/>, so the queue is set up once however short the timing.</summary>
    private static int LongEpoch(int count, int batchSize) => (int)Math.Min(int.MaxValue / 2, Math.Max(1, 1000L * batchSize / count) * count);

    /// <summary>Training's images in <paramref name="path"/>: an IDX folder's training split, a <c>train/</c> folder's class folders, or the class folders themselves.</summary>
    private static Dataset Open(string path, int channels, UnreadableImages unreadable)
    {
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"{path}: no such folder (a dataset is a folder of IDX files or of class folders).");
        if (IdxDataset.IsIdxFolder(path))
            return DataSplits.Open(path, channels, unreadable).Train;
        string train = Path.Combine(path, "train");
        return new ImageFolderDataset(Directory.Exists(train) ? train : path, channels, unreadable);
    }

    /// <summary>Times each stage and the whole, prints them and the cores a GPU needs, and returns the figures for <c>--json</c>.</summary>
    private static Dictionary<string, object?> Measure(string network, Dataset dataset, Preprocessing preprocessing, Shape input, int batchSize, double target,
        int warmup, int iterations, TextWriter log, string source)
    {
        int count = dataset.Count, cores = Environment.ProcessorCount;
        log.WriteLine($"{network}'s input pipeline on {source}; {TrainCommand.Plural(cores, "core")}, at least {warmup} warm-up runs (1 s) and {iterations} timed iterations a stage");
        // The run's statistics, as training computes them before its first step: this also decodes every image once,
        // so the files are in the page cache (disk reads are not measured) and a file that does not decode is reported before the timing.
        var statistics = DataStatistics.Compute(dataset, preprocessing);
        var augmenter = new Augmenter(statistics, input);
        log.WriteLine($"as netgen train prepares {network}'s images: shorter side to {preprocessing.Size} and centre crop, the mean image subtracted, " +
            $"a random {input.Height}x{input.Width} crop{(preprocessing.Pad > 0 ? $" of the square padded by {preprocessing.Pad}" : "")}" +
            (preprocessing.Flip ? ", mirrored half the time" : "") +
            (preprocessing.ColourStd > 0 && input.Channels == 3 ? $", PCA colour (std {preprocessing.ColourStd:0.###})" : "") +
            (preprocessing.Normalise ? ", divided by each channel's standard deviation" : ""));

        // Decoded images for the resize alone and squares for the augmentation alone, as many as fit the cache (at least one).
        var decoded = new List<RawImage>();
        var squares = new List<RawImage>();
        long cached = 0;
        bool resized = false;
        for (int i = 0; i < count && (i == 0 || cached < DecodedCacheBytes); i++)
        {
            var image = dataset.Read(i);
            resized |= image.Width != preprocessing.Size || image.Height != preprocessing.Size;
            var square = augmenter.Square(image);
            decoded.Add(image);
            squares.Add(square);
            cached += image.Pixels.Length + (ReferenceEquals(square, image) ? 0 : square.Pixels.Length);
        }
        double meanPixels = decoded.Average(d => (double)d.Width * d.Height);

        var result = new Dictionary<string, object?>
        {
            ["network"] = network.ToLowerInvariant(),
            ["mode"] = "pipeline",
            ["images"] = count,
            ["image_size"] = preprocessing.Size,
            ["input"] = $"{input.Channels}x{input.Height}x{input.Width}",
            ["batch"] = batchSize,
            ["threads"] = cores,
            ["iterations"] = iterations,
        };
        var output = new float[input.Size];
        int next = 0;
        void Report(string key, string label, BenchCommand.Timings timings, int perRun)
        {
            double rate = perRun / timings.Median;
            result[$"{key}_images_per_second"] = BenchCommand.Round(rate);
            result[$"{key}_images_per_second_min"] = BenchCommand.Round(perRun / timings.Slowest);
            result[$"{key}_images_per_second_max"] = BenchCommand.Round(perRun / timings.Fastest);
            log.WriteLine($"{label,-52}{rate,9:0.0} images/s  {timings.Spread(perRun)}");
        }

        // Each stage alone, on this thread: one run is one image, the set taken round and round.
        next = 0;
        Report("decode", "decode (read, check, StbImageSharp), 1 core", BenchCommand.Measure(warmup, iterations, () => dataset.Read(next++ % count), false, log, "decode"), 1);
        if (resized)
        {
            next = 0;
            Report("resize", $"resize to {preprocessing.Size}x{preprocessing.Size}, 1 core",
                BenchCommand.Measure(warmup, iterations, () => augmenter.Square(decoded[next++ % decoded.Count]), false, log, "resize"), 1);
            log.WriteLine($"{"",52}(on {decoded.Count:N0} images of {meanPixels / 1e6:0.00} megapixels on average)");
        }
        else
        {
            log.WriteLine($"{$"resize to {preprocessing.Size}x{preprocessing.Size}",-52}none: the images are that size already");
        }
        next = 0;
        Report("augment", "augment (as above, from the square), 1 core", BenchCommand.Measure(warmup, iterations, () =>
        {
            int i = next % squares.Count, epoch = next++ / squares.Count;
            augmenter.Write(squares[i], augmenter.RandomCrop(Seed, epoch, i), augmenter.RandomColourShift(Seed, epoch, i), output);
        }, false, log, "augment"), 1);

        // The whole of what training does for one image, on one core.
        next = 0;
        var one = BenchCommand.Measure(warmup, iterations, () =>
        {
            int i = next % count, epoch = next++ / count;
            augmenter.WriteTraining(dataset, i, Seed, epoch, output);
        }, false, log, "one core");
        Report("one_core", "whole pipeline, 1 core", one, 1);

        // Every core: the prefetch queue training reads; one run is one batch. The images are taken round and round as one long
        // epoch (each time with its own crop, which hashes the position), since a queue sets up its batch buffers once an epoch:
        // five of them, 396 MB at AlexNet's batch of 128, which a real epoch of thousands of batches spreads thin, and an epoch
        // of 256 images would pay again every two batches.
        var epoch = new DatasetSubset(dataset, Enumerable.Range(0, LongEpoch(count, batchSize)).Select(k => k % count).ToArray(), dataset.Source);
        int queued = 0;
        BatchQueue? queue = null;
        IEnumerator<Batch>? batches = null;
        try
        {
            // The cores the process kept busy meanwhile: on a shared machine, whether it had them to use.
            var process = System.Diagnostics.Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            long wallBefore = System.Diagnostics.Stopwatch.GetTimestamp();
            var all = BenchCommand.Measure(warmup, iterations, () =>
            {
                while (batches is null || !batches.MoveNext())
                {
                    batches?.Dispose();
                    queue?.Dispose();
                    queue = Batches.Training(epoch, augmenter, batchSize, Seed, queued++);
                    batches = queue.GetEnumerator();
                }
            }, false, log, "all cores");
            process.Refresh();
            double busy = (process.TotalProcessorTime - cpuBefore).TotalSeconds / System.Diagnostics.Stopwatch.GetElapsedTime(wallBefore).TotalSeconds;
            result["all_cores_busy"] = BenchCommand.Round(busy);
            Report("all_cores", $"whole pipeline, {TrainCommand.Plural(cores, "core")} (prefetch queue, batch {batchSize})", all, batchSize);
            double oneRate = 1 / one.Median, allRate = batchSize / all.Median;
            log.WriteLine($"{"",52}{allRate / oneRate:0.00}x the one core's rate, {allRate / oneRate / cores:P0} of {cores} x it; the process kept {busy:0.0} of the {cores} cores busy");

            // Cores needed: the rate to feed over one core's rate, rounded up; it assumes cores add up linearly, which the line above checks.
            int needed = (int)Math.Ceiling(target / oneRate);
            result["target_images_per_second"] = BenchCommand.Round(target);
            result["cores_needed"] = needed;
            log.WriteLine($"cores needed to feed a GPU that trains {network} at {target:N0} images/s: {target:N0} / {oneRate:N1} = {target / oneRate:0.0#}, so {needed} " +
                $"(--target R sets the rate; the default is AlexNet's with cuDNN on a Maxwell Titan X, batch 128 in 81 ms)");
        }
        finally
        {
            batches?.Dispose();
            queue?.Dispose();
        }
        return result;
    }
}
