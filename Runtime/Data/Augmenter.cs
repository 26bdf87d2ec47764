using System;
using System.Collections.Generic;

namespace NetGen.Data;

/// <summary>Where a crop of the network's input size sits in the padded square, and whether it is mirrored.</summary>
/// <param name="Left">Columns from the padded square's left edge (the image itself starts at <see cref="Preprocessing.Pad"/>).</param>
/// <param name="Top">Rows from the padded square's top edge.</param>
/// <param name="Flip">Mirrored left to right.</param>
public readonly record struct Crop(int Left, int Top, bool Flip);

/// <summary>
/// Turns decoded images into network input (NCHW floats) as <see cref="Preprocessing"/> and the run's
/// <see cref="DataStatistics"/> say. Every random choice is a hash of (seed, epoch, image), never a
/// stateful generator, so a resumed run sees exactly the crops, flips and colours the uninterrupted
/// one would have, whatever the thread count.
/// </summary>
public sealed class Augmenter
{
    private const ulong ShuffleStream = 1, CropStream = 2, ColourStream = 3;
    private readonly float[] inverseStd;
    private readonly float[] noShift;

    /// <summary>Prepares inputs of shape <paramref name="input"/> with <paramref name="statistics"/>.</summary>
    public Augmenter(DataStatistics statistics, Shape input)
    {
        Statistics = statistics ?? throw new ArgumentNullException(nameof(statistics));
        Preprocessing.Validate(input);
        if (statistics.Channels != input.Channels)
            throw new ArgumentException($"The statistics are of {statistics.Channels}-channel images; the network takes {input.Channels}.");
        Input = input;
        inverseStd = new float[input.Channels];
        for (int c = 0; c < inverseStd.Length; c++)
            inverseStd[c] = Preprocessing.Normalise ? 1f / statistics.ChannelStd[c] : 1f;
        noShift = new float[input.Channels];
    }

    /// <summary>The run's statistics.</summary>
    public DataStatistics Statistics { get; }

    /// <summary>The preprocessing settings.</summary>
    public Preprocessing Preprocessing => Statistics.Preprocessing;

    /// <summary>The shape of one network input.</summary>
    public Shape Input { get; }

    /// <summary>How far a crop can move across the padded square, in columns and rows.</summary>
    public (int Columns, int Rows) Range => (Preprocessing.Size + 2 * Preprocessing.Pad - Input.Width, Preprocessing.Size + 2 * Preprocessing.Pad - Input.Height);

    /// <summary>The central crop, unmirrored: what evaluation uses.</summary>
    public Crop Centre => new(Range.Columns / 2, Range.Rows / 2, false);

    /// <summary>
    /// The paper's ten test crops: the four corners and the centre of the image (padding left out), then the
    /// same five mirrored. A network trained without flips gets the five alone: it never saw a mirrored image.
    /// </summary>
    public IReadOnlyList<Crop> TenCrops
    {
        get
        {
            int pad = Preprocessing.Pad, right = pad + Preprocessing.Size - Input.Width, bottom = pad + Preprocessing.Size - Input.Height;
            var crops = new List<Crop>(10);
            foreach (bool flip in Preprocessing.Flip ? new[] { false, true } : [false])
                crops.AddRange([new(pad, pad, flip), new(right, pad, flip), new(pad, bottom, flip), new(right, bottom, flip), Centre with { Flip = flip }]);
            return crops;
        }
    }

    /// <summary>The order of <paramref name="count"/> images in <paramref name="epoch"/>: a Fisher-Yates shuffle driven by a hash of (seed, epoch).</summary>
    public static int[] Shuffle(int count, ulong seed, int epoch)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++)
            order[i] = i;
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(CounterHash.Hash(seed, Stream(epoch, ShuffleStream), (ulong)i) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The random crop and flip of image <paramref name="image"/> in <paramref name="epoch"/>: each position equally likely, mirrored half the time (when flips are on).</summary>
    public Crop RandomCrop(ulong seed, int epoch, int image)
    {
        ulong h = CounterHash.Hash(seed, Stream(epoch, CropStream), (ulong)image);
        var (columns, rows) = Range;
        int left = (int)((h & 0xFFFFFF) % (ulong)(columns + 1));
        int top = (int)(((h >> 24) & 0xFFFFFF) % (ulong)(rows + 1));
        return new Crop(left, top, Preprocessing.Flip && (h >> 63) != 0);
    }

    /// <summary>The PCA colour shift of image <paramref name="image"/> in <paramref name="epoch"/>: alpha ~ N(0, std) per eigenvector, drawn once per presentation.</summary>
    public float[] RandomColourShift(ulong seed, int epoch, int image)
    {
        if (Preprocessing.ColourStd == 0 || Input.Channels != 3)
            return noShift;
        Span<double> alphas = stackalloc double[3];
        for (int i = 0; i < 3; i++)
            alphas[i] = Preprocessing.ColourStd * CounterHash.Normal(seed, Stream(epoch, ColourStream), (ulong)image * 3 + (ulong)i);
        return Statistics.ColourShift(alphas);
    }

    /// <summary>Image <paramref name="index"/> of <paramref name="dataset"/> as the network sees it in training, in <paramref name="epoch"/>.</summary>
    public void WriteTraining(Dataset dataset, int index, ulong seed, int epoch, Span<float> destination) =>
        Write(Square(dataset.Read(index)), RandomCrop(seed, epoch, index), RandomColourShift(seed, epoch, index), destination);

    /// <summary>Brings a decoded image to the preprocessing's square (shorter side, then centre crop).</summary>
    public RawImage Square(RawImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels != Input.Channels)
            throw new ArgumentException($"The image has {image.Channels} channels; the network takes {Input.Channels}.");
        return Resize.ShorterSideAndCentreCrop(image, Preprocessing.Size);
    }

    /// <summary>
    /// Writes one input (channels x height x width) from <paramref name="square"/>: the mean image
    /// subtracted, <paramref name="shift"/> (pixel units, per channel) added, divided by the channels'
    /// standard deviations when normalising, cropped and mirrored as <paramref name="crop"/> says. Padding is zero.
    /// </summary>
    public void Write(RawImage square, Crop crop, ReadOnlySpan<float> shift, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(square);
        int size = Preprocessing.Size, pad = Preprocessing.Pad, channels = Input.Channels, height = Input.Height, width = Input.Width;
        if (square.Width != size || square.Height != size)
            throw new ArgumentException($"Expected a {size}x{size} square, got {square.Width}x{square.Height}.", nameof(square));
        if (destination.Length < Input.Size)
            throw new ArgumentException($"An input needs {Input.Size} floats; the destination has {destination.Length}.", nameof(destination));
        if (shift.Length == 0)
            shift = noShift;
        var mean = Statistics.Mean;
        var pixels = square.Pixels;
        for (int c = 0; c < channels; c++)
        {
            float scale = inverseStd[c], offset = shift[c];
            for (int y = 0; y < height; y++)
            {
                int sy = crop.Top + y - pad;
                var row = destination.Slice((c * height + y) * width, width);
                if (sy < 0 || sy >= size)
                {
                    row.Clear();
                    continue;
                }
                for (int x = 0; x < width; x++)
                {
                    int sx = crop.Left + (crop.Flip ? width - 1 - x : x) - pad;
                    row[x] = sx < 0 || sx >= size ? 0f
                        : (pixels[(sy * size + sx) * channels + c] - mean[(c * size + sy) * size + sx] + offset) * scale;
                }
            }
        }
    }

    private static ulong Stream(int epoch, ulong kind) => ((ulong)(uint)epoch << 8) | kind;
}
