using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using MathNet.Numerics.LinearAlgebra;

namespace NetGen.Data;

/// <summary>
/// What a run learns from its training images before training, and keeps with its checkpoints
/// (<c>data.safetensors</c>): the per-pixel mean image, the channels' covariance with its
/// eigen-decomposition (for PCA colour augmentation), the class names and the preprocessing.
/// </summary>
public sealed class DataStatistics
{
    /// <summary>The file name a run keeps its statistics under, beside <c>last.safetensors</c>.</summary>
    public const string FileName = "data.safetensors";

    /// <summary>Builds statistics from their parts; the eigen-decomposition is worked out from <paramref name="covariance"/>.</summary>
    public DataStatistics(Preprocessing preprocessing, int channels, float[] mean, float[] covariance, IReadOnlyList<string> classes, long images)
    {
        Preprocessing = preprocessing ?? throw new ArgumentNullException(nameof(preprocessing));
        Channels = channels;
        int size = preprocessing.Size;
        if (mean.Length != channels * size * size || covariance.Length != channels * channels)
            throw new ArgumentException($"A {channels}-channel {size}x{size} mean image has {channels * size * size} values and its covariance {channels * channels}.");
        Mean = mean;
        Covariance = covariance;
        Classes = [.. classes];
        Images = images;
        (EigenValues, EigenVectors) = Decompose(channels, covariance);
        ChannelStd = Enumerable.Range(0, channels).Select(c => MathF.Sqrt(Math.Max(covariance[c * channels + c], 1e-12f)) * 255f).ToArray();
    }

    /// <summary>How images are brought to the network.</summary>
    public Preprocessing Preprocessing { get; }

    /// <summary>Channels per pixel.</summary>
    public int Channels { get; }

    /// <summary>The mean image, channels x size x size (CHW), in pixel units (0 to 255).</summary>
    public float[] Mean { get; }

    /// <summary>The channels' covariance over every training pixel, row-major, with pixels scaled to [0, 1].</summary>
    public float[] Covariance { get; }

    /// <summary>The covariance's eigenvalues, largest first.</summary>
    public double[] EigenValues { get; }

    /// <summary>The matching unit eigenvectors as columns, row-major (channel x eigenvector); each column's largest component is positive.</summary>
    public double[] EigenVectors { get; }

    /// <summary>Each channel's standard deviation over the training pixels, in pixel units.</summary>
    public float[] ChannelStd { get; }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>How many training images the statistics cover.</summary>
    public long Images { get; }

    /// <summary>
    /// Goes once over <paramref name="train"/>, brought to <paramref name="preprocessing"/>'s square, and sums
    /// pixels and products of channels in 64-bit integers: exact, so the result does not depend on the thread count.
    /// </summary>
    public static DataStatistics Compute(Dataset train, Preprocessing preprocessing, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(preprocessing);
        int c = train.Channels, size = preprocessing.Size, plane = size * size;
        var sums = new long[c * plane];
        var channelSums = new long[c];
        var products = new long[c * c];
        var gate = new object();
        int done = 0;
        try
        {
            Parallel.For(0, train.Count, () => (Sums: new long[c * plane], Channel: new long[c], Products: new long[c * c]), (i, _, local) =>
            {
                var image = Resize.ShorterSideAndCentreCrop(train.Read(i), size);
                var pixels = image.Pixels;
                for (int p = 0; p < plane; p++)
                    for (int a = 0; a < c; a++)
                    {
                        int value = pixels[p * c + a];
                        local.Sums[a * plane + p] += value;
                        local.Channel[a] += value;
                        for (int b = a; b < c; b++)
                            local.Products[a * c + b] += value * pixels[p * c + b];
                    }
                int finished = System.Threading.Interlocked.Increment(ref done);
                if (progress is not null && finished % 1024 == 0)
                    progress(finished);
                return local;
            }, local =>
            {
                lock (gate)
                {
                    for (int k = 0; k < sums.Length; k++)
                        sums[k] += local.Sums[k];
                    for (int k = 0; k < c; k++)
                        channelSums[k] += local.Channel[k];
                    for (int k = 0; k < products.Length; k++)
                        products[k] += local.Products[k];
                }
            });
        }
        catch (AggregateException e)
        {
            // Parallel.For wraps what a worker threw; the caller wants the file's own error (a damaged image under --strict).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
        progress?.Invoke(train.Count);

        double n = train.Count, pixelsTotal = n * plane;
        var mean = sums.Select(s => (float)(s / n)).ToArray();
        var covariance = new float[c * c];
        for (int a = 0; a < c; a++)
            for (int b = a; b < c; b++)
            {
                double value = (products[a * c + b] / pixelsTotal - channelSums[a] / pixelsTotal * (channelSums[b] / pixelsTotal)) / (255.0 * 255.0);
                covariance[a * c + b] = covariance[b * c + a] = (float)value;
            }
        return new DataStatistics(preprocessing, c, mean, covariance, train.Classes, train.Count);
    }

    /// <summary>
    /// The PCA colour shift of the paper, in pixel units: 255 * [p1 p2 p3] [a1 l1, a2 l2, a3 l3]^T, the
    /// eigenvalues l taken from the covariance of pixels scaled to [0, 1].
    /// </summary>
    public float[] ColourShift(ReadOnlySpan<double> alphas)
    {
        var shift = new float[Channels];
        for (int ch = 0; ch < Channels; ch++)
        {
            double sum = 0;
            for (int i = 0; i < Channels; i++)
                sum += EigenVectors[ch * Channels + i] * alphas[i] * EigenValues[i];
            shift[ch] = (float)(255.0 * sum);
        }
        return shift;
    }

    /// <summary>Writes the statistics to <paramref name="path"/>, atomically.</summary>
    public void Save(string path)
    {
        int size = Preprocessing.Size;
        var metadata = new Dictionary<string, string>(Preprocessing.ToMetadata())
        {
            ["classes"] = JsonSerializer.Serialize(Classes),
            ["images"] = Images.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        SafeTensorsFile.Write(path,
            [SafeTensor.Float32("mean", Mean, Channels, size, size), SafeTensor.Float32("covariance", Covariance, Channels, Channels)],
            metadata);
    }

    /// <summary>Reads what <see cref="Save"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The file is missing a tensor or a key, or they do not fit together.</exception>
    public static DataStatistics Load(string path)
    {
        var file = SafeTensorsFile.Read(path);
        var preprocessing = Preprocessing.FromMetadata(path, file.Metadata);
        if (!file.TryGet("mean", out var mean) || !file.TryGet("covariance", out var covariance) || mean.Shape.Count != 3)
            throw new InvalidDataException($"{path}: needs tensors 'mean' (channels, size, size) and 'covariance' (channels, channels); it has {file.DescribeNames()}.");
        string[] classes;
        try
        {
            classes = JsonSerializer.Deserialize<string[]>(file.Metadata.GetValueOrDefault("classes", "null")) ?? throw new JsonException("no class list");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: metadata 'classes' is not a JSON list of names ({e.Message}).");
        }
        try
        {
            return new DataStatistics(preprocessing, (int)mean.Shape[0], mean.ToFloats(), covariance.ToFloats(), classes,
                long.Parse(file.Metadata.GetValueOrDefault("images", "0"), System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    private static (double[] Values, double[] Vectors) Decompose(int channels, float[] covariance)
    {
        var matrix = Matrix<double>.Build.Dense(channels, channels, (r, c) => covariance[r * channels + c]);
        var evd = matrix.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, channels).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        var values = order.Select(i => evd.EigenValues[i].Real).ToArray();
        var vectors = new double[channels * channels];
        for (int k = 0; k < channels; k++)
        {
            var column = evd.EigenVectors.Column(order[k]);
            double sign = column.AbsoluteMaximum() == column.Maximum() ? 1 : -1;
            for (int r = 0; r < channels; r++)
                vectors[r * channels + k] = sign * column[r];
        }
        return (values, vectors);
    }
}
