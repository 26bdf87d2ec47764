using System;
using System.IO;
using System.Linq;
using NetGen.Data;
using NetGen.Networks;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Data;

/// <summary>The prefetch queue and the batches it carries, from files on disk to network input.</summary>
public class BatchQueueTests
{
    [Fact]
    public void BatchesComeOutInOrderWhateverTheTiming()
    {
        var random = new Random(1);
        using var queue = new BatchQueue(batches: 20, capacity: 2, inputSize: 1, batch =>
        {
            System.Threading.Thread.Sleep(random.Next(3));
            batch.Count = 1;
            batch.Images[0] = batch.Number;
        }, depth: 2);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (float)i), queue.Select(b => b.Images[0]).ToArray());
    }

    [Fact]
    public void AFailureWhileLoadingReachesTheConsumerUnchanged()
    {
        using var folder = new TemporaryFolder();
        ImageFolderTests.WritePng(folder.File("a", "1.png"), 4, 4, 0);
        ImageFolderTests.WritePng(folder.File("a", "2.png"), 4, 4, 0);
        // A sound header over pixels cut short: it opens, then fails to decode, and --strict makes that an error.
        string cut = folder.File("b", "3.png");
        ImageFolderTests.WritePng(cut, 4, 4, 0);
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..^20]);
        var dataset = new ImageFolderDataset(folder.Path, 3, new UnreadableImages { Strict = true });
        var statistics = new DataStatistics(new Preprocessing(4, 0, false, 0, false), 3, new float[48], [0.01f, 0, 0, 0, 0.01f, 0, 0, 0, 0.01f], dataset.Classes, 3);
        using var queue = Batches.Evaluation(dataset, new Augmenter(statistics, new Shape(3, 4, 4)), batchSize: 1, [new Crop(0, 0, false)]);
        var error = Assert.Throws<InvalidDataException>(() => queue.ToList());
        Assert.Contains(Path.Combine("b", "3.png"), error.Message);
    }

    [Fact]
    public void AlexNetsTrainingBatchesArePhotosOfAnySizeCroppedFlippedAndShifted()
    {
        using var folder = new TemporaryFolder();
        ImageFolderTests.WritePng(folder.File("wide", "1.png"), 300, 260, 7);
        ImageFolderTests.WritePng(folder.File("tall", "1.png"), 260, 300, 9);
        var dataset = new ImageFolderDataset(folder.Path, 3);
        var preprocessing = Preprocessing.For(NetworkCatalog.Find(AlexNet.Description.Name)!.Defaults, AlexNet.Description.Input);
        Assert.Equal(Preprocessing.AlexNet, preprocessing);
        var statistics = DataStatistics.Compute(dataset, preprocessing);
        Assert.Equal(3 * 256 * 256, statistics.Mean.Length);
        var augmenter = new Augmenter(statistics, AlexNet.Description.Input);

        using var queue = Batches.Training(dataset, augmenter, batchSize: 2, seed: 4, epoch: 1);
        var batch = queue.Single();
        int size = 3 * 227 * 227;
        for (int k = 0; k < 2; k++)
        {
            int index = batch.Indices[k];
            Assert.Equal(dataset.Label(index), batch.Labels[k]);
            // Each input is its own image's square, at its own crop, with its own colour shift.
            var square = Resize.ShorterSideAndCentreCrop(dataset.Read(index), 256);
            var crop = augmenter.RandomCrop(4, 1, index);
            var shift = augmenter.RandomColourShift(4, 1, index);
            Assert.NotEqual(0f, shift[0]);
            foreach (var (c, y, x) in new[] { (0, 0, 0), (1, 100, 50), (2, 226, 226) })
            {
                int sx = crop.Left + (crop.Flip ? 226 - x : x), sy = crop.Top + y;
                float expected = square[sy, sx, c] - statistics.Mean[(c * 256 + sy) * 256 + sx] + shift[c];
                Assert.Equal(expected, batch.Images[k * size + (c * 227 + y) * 227 + x], 4);
            }
        }
    }
}
