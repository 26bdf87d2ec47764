using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Data;

namespace NetGen.Tests.Data;

/// <summary>Every step from a decoded image to network input, against values worked out by hand.</summary>
public class AugmentationTests
{
    private static DataStatistics Statistics(int channels, int size, int pad = 0, float[]? mean = null, float[]? covariance = null,
        bool normalise = false, float colourStd = 0.1f) =>
        new(new Preprocessing(size, pad, Flip: true, colourStd, normalise), channels, mean ?? new float[channels * size * size],
            covariance ?? Enumerable.Range(0, channels * channels).Select(i => i % (channels + 1) == 0 ? 0.01f : 0f).ToArray(), ["a", "b"], 1);

    /// <summary>A grey size x size image whose pixel (y, x) is 10 y + x.</summary>
    private static RawImage Ramp(int size) =>
        new(size, size, 1, Enumerable.Range(0, size * size).Select(i => (byte)(10 * (i / size) + i % size)).ToArray());

    private static float[,] Input(Augmenter augmenter, RawImage square, Crop crop, float[]? shift = null)
    {
        var flat = new float[augmenter.Input.Size];
        augmenter.Write(square, crop, shift ?? [], flat);
        var grid = new float[augmenter.Input.Height, augmenter.Input.Width];
        for (int i = 0; i < flat.Length; i++)
            grid[i / augmenter.Input.Width, i % augmenter.Input.Width] = flat[i];
        return grid;
    }

    [Fact]
    public void ACropReadsTheSquareAtItsOffset()
    {
        var augmenter = new Augmenter(Statistics(1, 6), new Shape(1, 4, 4));
        var input = Input(augmenter, Ramp(6), new Crop(2, 1, false));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal(10 * (y + 1) + (x + 2), input[y, x]);
    }

    [Fact]
    public void AFlipMirrorsTheCropLeftToRight()
    {
        var augmenter = new Augmenter(Statistics(1, 6), new Shape(1, 4, 4));
        var input = Input(augmenter, Ramp(6), new Crop(2, 1, true));
        // Row 0 of the crop at (2, 1) is 12 13 14 15; mirrored, 15 14 13 12.
        Assert.Equal([15f, 14f, 13f, 12f], Enumerable.Range(0, 4).Select(x => input[0, x]));
        Assert.Equal([45f, 44f, 43f, 42f], Enumerable.Range(0, 4).Select(x => input[3, x]));
    }

    [Fact]
    public void PaddingIsZeroAndTheMeanImageIsSubtractedPixelByPixel()
    {
        // A 4x4 ramp padded by 2, cropped at the padded square's corner: the image starts at (2, 2).
        var mean = Enumerable.Range(0, 16).Select(i => (float)(i / 4)).ToArray(); // the mean of row y is y
        var augmenter = new Augmenter(Statistics(1, 4, pad: 2, mean: mean), new Shape(1, 4, 4));
        var input = Input(augmenter, Ramp(4), new Crop(0, 0, false));
        Assert.Equal(0f, input[0, 3]);
        Assert.Equal(0f, input[1, 1]);
        Assert.Equal(0f, input[3, 1]);
        Assert.Equal(0f - 0f, input[2, 2]);               // pixel (0, 0) = 0, mean 0
        Assert.Equal(11f - 1f, input[3, 3]);              // pixel (1, 1) = 11, mean of row 1 = 1
    }

    [Fact]
    public void NormalisingDividesByTheChannelsStandardDeviation()
    {
        // Covariance 0.01 of pixels in [0, 1]: a standard deviation of 0.1 * 255 = 25.5 grey levels.
        var augmenter = new Augmenter(Statistics(1, 6, normalise: true), new Shape(1, 4, 4));
        var input = Input(augmenter, Ramp(6), new Crop(0, 0, false));
        Assert.Equal(33f / 25.5f, input[3, 3], 5);
    }

    [Fact]
    public void TheTenCropsAreTheCornersAndCentreThenTheirMirrors()
    {
        var augmenter = new Augmenter(Statistics(1, 6), new Shape(1, 4, 4));
        var expected = new[] { (0, 0), (2, 0), (0, 2), (2, 2), (1, 1) };
        Assert.Equal(expected.Select(p => new Crop(p.Item1, p.Item2, false)).Concat(expected.Select(p => new Crop(p.Item1, p.Item2, true))), augmenter.TenCrops);
        // The bottom-right crop's top-left value is pixel (2, 2) = 22; mirrored, the top-left is pixel (2, 5) = 25.
        Assert.Equal(22f, Input(augmenter, Ramp(6), augmenter.TenCrops[3])[0, 0]);
        Assert.Equal(25f, Input(augmenter, Ramp(6), augmenter.TenCrops[8])[0, 0]);

        // With padding, corners are the image's corners, not the padding's.
        var padded = new Augmenter(Statistics(1, 6, pad: 1), new Shape(1, 4, 4));
        Assert.Equal([new Crop(1, 1, false), new Crop(3, 1, false), new Crop(1, 3, false), new Crop(3, 3, false), new Crop(2, 2, false)], padded.TenCrops.Take(5));

        // Trained without flips, a network is tested on the five unmirrored crops only.
        var unflipped = new Augmenter(new DataStatistics(new Preprocessing(6, 0, Flip: false, 0, false), 1, new float[36], [0.01f], ["a"], 1), new Shape(1, 4, 4));
        Assert.Equal(expected.Select(p => new Crop(p.Item1, p.Item2, false)), unflipped.TenCrops);
    }

    [Fact]
    public void RandomCropsCoverEveryPositionAndFlipEquallyOften()
    {
        var augmenter = new Augmenter(Statistics(1, 6), new Shape(1, 4, 4));
        var counts = new Dictionary<Crop, int>();
        const int draws = 18_000;
        for (int i = 0; i < draws; i++)
        {
            var crop = augmenter.RandomCrop(seed: 7, epoch: 3, image: i);
            counts[crop] = counts.GetValueOrDefault(crop) + 1;
            Assert.Equal(crop, augmenter.RandomCrop(7, 3, i)); // a pure function of (seed, epoch, image)
        }
        Assert.Equal(18, counts.Count); // 3 x 3 positions, each mirrored or not
        Assert.All(counts.Values, c => Assert.InRange(c, 1000 - 150, 1000 + 150)); // 1000 expected; 150 is 4.9 standard deviations
        Assert.Contains(Enumerable.Range(0, 100), i => augmenter.RandomCrop(7, 4, i) != augmenter.RandomCrop(7, 3, i));
    }

    [Fact]
    public void ThePcaShiftIsTheEigenvectorsTimesAlphaTimesTheEigenvalues()
    {
        // Covariance (in [0, 1] pixel units) 0.001 * [[3, 1, 0], [1, 2, 0], [0, 0, 1]]. Its 2x2 block has eigenvalues
        // (5 +- sqrt 5) / 2 with eigenvectors (1, lambda - 3); the third is 1 with (0, 0, 1).
        float[] covariance = [0.003f, 0.001f, 0, 0.001f, 0.002f, 0, 0, 0, 0.001f];
        var statistics = Statistics(3, 2, covariance: covariance);
        double l1 = (5 + Math.Sqrt(5)) / 2 * 0.001, l2 = (5 - Math.Sqrt(5)) / 2 * 0.001, l3 = 0.001;
        double n1 = Math.Sqrt(1 + Math.Pow(l1 / 0.001 - 3, 2)), n2 = Math.Sqrt(1 + Math.Pow(l2 / 0.001 - 3, 2));
        double[] v1 = [1 / n1, (l1 / 0.001 - 3) / n1, 0], v2 = [-1 / n2, -(l2 / 0.001 - 3) / n2, 0], v3 = [0, 0, 1]; // v2 signed so its largest component is positive
        Assert.Equal([l1, l2, l3], statistics.EigenValues.Select(v => Math.Round(v, 9)).ToArray(), (a, b) => Math.Abs(a - b) < 1e-9);

        double[] alphas = [0.05, -0.2, 0.1];
        var shift = statistics.ColourShift(alphas);
        for (int c = 0; c < 3; c++)
        {
            double expected = 255 * (v1[c] * alphas[0] * l1 + v2[c] * alphas[1] * l2 + v3[c] * alphas[2] * l3);
            Assert.Equal(expected, shift[c], 1e-4);
        }
    }

    [Fact]
    public void ColourWeightsAreDrawnFromANormalWithTheConfiguredStd()
    {
        float[] covariance = [0.003f, 0.001f, 0, 0.001f, 0.002f, 0, 0, 0, 0.001f];
        var statistics = Statistics(3, 2, covariance: covariance);
        var augmenter = new Augmenter(statistics, new Shape(3, 2, 2));
        // Recover each alpha from the shift (the eigenvectors are orthonormal): alpha_i = p_i . shift / (255 lambda_i).
        const int draws = 4000;
        var alphas = new double[3][];
        for (int i = 0; i < 3; i++)
            alphas[i] = new double[draws];
        for (int n = 0; n < draws; n++)
        {
            var shift = augmenter.RandomColourShift(seed: 1, epoch: 1, image: n);
            for (int i = 0; i < 3; i++)
                alphas[i][n] = Enumerable.Range(0, 3).Sum(c => statistics.EigenVectors[c * 3 + i] * shift[c]) / (255 * statistics.EigenValues[i]);
        }
        foreach (var a in alphas)
        {
            double mean = a.Average(), std = Math.Sqrt(a.Sum(x => (x - mean) * (x - mean)) / (draws - 1));
            Assert.InRange(mean, -0.006, 0.006); // 0.1 / sqrt(4000) = 0.0016 per standard error
            Assert.InRange(std, 0.095, 0.105);
        }
    }

    [Fact]
    public void StatisticsAreTheMeanImageAndTheChannelCovariance()
    {
        // Four 1x1 RGB images: (0, 0, 0), (255, 0, 255), (255, 255, 0), (0, 0, 0).
        var dataset = new ListDataset(3,
            new RawImage(1, 1, 3, [0, 0, 0]), new RawImage(1, 1, 3, [255, 0, 255]),
            new RawImage(1, 1, 3, [255, 255, 0]), new RawImage(1, 1, 3, [0, 0, 0]));
        var statistics = DataStatistics.Compute(dataset, new Preprocessing(1, 0, false, 0, false));
        Assert.Equal([127.5f, 63.75f, 63.75f], statistics.Mean);
        // In [0, 1] units the means are (0.5, 0.25, 0.25) and E[rr] = 0.5, E[rg] = 0.25, E[rb] = 0.25,
        // E[gg] = 0.25, E[gb] = 0, E[bb] = 0.25; covariance = E[xy] - E[x] E[y].
        float[] expected = [0.25f, 0.125f, 0.125f, 0.125f, 0.1875f, -0.0625f, 0.125f, -0.0625f, 0.1875f];
        Assert.Equal(expected, statistics.Covariance);
        Assert.Equal(MathF.Sqrt(0.25f) * 255, statistics.ChannelStd[0], 3);
    }

    [Fact]
    public void ShorterSideThenCentreCrop()
    {
        // 8 x 4, constant 90: shorter side 4 -> 2 gives 4 x 2, whose centre 2 x 2 starts at column 1.
        var image = new RawImage(8, 4, 1, Enumerable.Repeat((byte)90, 32).ToArray());
        var square = Resize.ShorterSideAndCentreCrop(image, 2);
        Assert.Equal((2, 2), (square.Width, square.Height));
        Assert.All(square.Pixels, p => Assert.Equal(90, p));
    }

    [Fact]
    public void ShrinkingAveragesWithTheWidenedTriangleFilter()
    {
        // Columns alternate 0 and 200. Halving widens the triangle to 2 source pixels: inside, weights
        // 1/8, 3/8, 3/8, 1/8 over columns 2i-1 .. 2i+2 give 100; at the left edge 0.75, 0.75, 0.25
        // (normalised by 1.75) over columns 0 .. 2 give 200 * 0.75 / 1.75 = 85.7; at the right edge
        // 0.25, 0.75, 0.75 over columns 5 .. 7 give 200 * (0.25 + 0.75) / 1.75 = 114.3.
        var image = new RawImage(8, 8, 1, Enumerable.Range(0, 64).Select(i => (byte)(i % 2 == 1 ? 200 : 0)).ToArray());
        var half = Resize.To(image, 4, 8);
        Assert.Equal([86, 100, 100, 114], half.Pixels[..4].Select(b => (int)b));
    }

    [Fact]
    public void TheShuffleIsAPermutationFixedBySeedAndEpoch()
    {
        var order = Augmenter.Shuffle(1000, seed: 5, epoch: 2);
        Assert.Equal(Enumerable.Range(0, 1000), order.Order());
        Assert.Equal(order, Augmenter.Shuffle(1000, 5, 2));
        Assert.NotEqual(order, Augmenter.Shuffle(1000, 5, 3));
        Assert.NotEqual(order, Augmenter.Shuffle(1000, 6, 2));
    }

    /// <summary>Images held in memory, all of one label.</summary>
    private sealed class ListDataset(int channels, params RawImage[] images) : Dataset
    {
        public override string Source => "memory";
        public override IReadOnlyList<string> Classes => ["a"];
        public override int Count => images.Length;
        public override int Channels => channels;
        public override int Label(int index) => 0;
        public override RawImage Read(int index) => images[index];
        public override string Describe(int index) => $"memory[{index}]";
    }
}
