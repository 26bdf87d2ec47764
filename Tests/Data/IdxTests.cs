using System;
using System.IO;
using System.IO.Compression;
using NetGen.Data;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Data;

/// <summary>The IDX reader on files written here byte by byte, raw and gzipped, and on each kind of damage.</summary>
public class IdxTests
{
    /// <summary>Three 2x3 images with pixel n*10 + position, and their labels.</summary>
    private static readonly byte[] Pixels = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25];

    private static byte[] Header(byte rank, params int[] dimensions)
    {
        var bytes = new byte[4 + 4 * dimensions.Length];
        bytes[2] = 0x08;
        bytes[3] = rank;
        for (int d = 0; d < dimensions.Length; d++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        return bytes;
    }

    private static void WriteRaw(string path, byte[] content, bool gzip)
    {
        if (!gzip)
        {
            File.WriteAllBytes(path, content);
            return;
        }
        using var file = File.Create(path);
        using var stream = new GZipStream(file, CompressionLevel.Fastest);
        stream.Write(content);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesAndLabelsAsMnistLaysThemOut(bool gzip)
    {
        using var folder = new TemporaryFolder();
        string suffix = gzip ? ".gz" : "";
        WriteRaw(folder.File("train-images-idx3-ubyte" + suffix), [.. Header(3, 3, 2, 3), .. Pixels], gzip);
        WriteRaw(folder.File("train-labels-idx1-ubyte" + suffix), [.. Header(1, 3), 2, 0, 1], gzip);
        File.WriteAllLines(folder.File("classes.txt"), ["zero", "one", "two"]);

        var dataset = IdxDataset.Open(folder.Path, "train")!;

        Assert.Equal(3, dataset.Count);
        Assert.Equal(["zero", "one", "two"], dataset.Classes);
        Assert.Equal([2, 0, 1], new[] { dataset.Label(0), dataset.Label(1), dataset.Label(2) });
        var image = dataset.Read(1);
        Assert.Equal((3, 2, 1), (image.Width, image.Height, image.Channels));
        Assert.Equal(13, image[1, 0, 0]); // image 1, row 1, column 0: 10 + 3
        Assert.Equal(25, dataset.Read(2)[1, 2, 0]);
        Assert.Null(IdxDataset.Open(folder.Path, "t10k"));
    }

    [Fact]
    public void WriterAndReaderAgree()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("x-images-idx3-ubyte.gz");
        IdxFile.Write(path, [3, 2, 3], Pixels);
        var file = IdxFile.Read(path);
        Assert.Equal([3, 2, 3], file.Dimensions);
        Assert.Equal(Pixels, file.Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATruncatedFileNamesItselfAndTheShortfall(bool gzip)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("train-images-idx3-ubyte" + (gzip ? ".gz" : ""));
        WriteRaw(path, [.. Header(3, 3, 2, 3), .. Pixels[..10]], gzip);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
        Assert.Contains("3 x 2 x 3 = 18 bytes", error.Message);
        Assert.Contains("holds 10", error.Message);
    }

    [Fact]
    public void AFileCutInsideItsHeaderOrWithAnotherTypeIsRefused()
    {
        using var folder = new TemporaryFolder();
        string cut = folder.File("cut");
        File.WriteAllBytes(cut, Header(3, 3, 2, 3)[..9]);
        Assert.Contains("truncated in its header", Assert.Throws<InvalidDataException>(() => IdxFile.Read(cut)).Message);
        string floats = folder.File("floats");
        var header = Header(1, 1);
        header[2] = 0x0D;
        File.WriteAllBytes(floats, [.. header, 0, 0, 0, 0]);
        Assert.Contains("type 0x0D", Assert.Throws<InvalidDataException>(() => IdxFile.Read(floats)).Message);
        string text = folder.File("text.gz");
        File.WriteAllText(text, "not gzip");
        Assert.Contains("gzip's magic", Assert.Throws<InvalidDataException>(() => IdxFile.Read(text)).Message);
    }

    [Fact]
    public void ALabelCountThatDoesNotMatchTheImagesIsRefused()
    {
        using var folder = new TemporaryFolder();
        IdxFile.Write(folder.File("train-images-idx3-ubyte"), [3, 2, 3], Pixels);
        IdxFile.Write(folder.File("train-labels-idx1-ubyte"), [2], [0, 1]);
        var error = Assert.Throws<InvalidDataException>(() => IdxDataset.Open(folder.Path, "train"));
        Assert.Contains("train-labels-idx1-ubyte", error.Message);
        Assert.Contains("2 labels for the 3 images", error.Message);
    }

    [Fact]
    public void ALabelBeyondTheClassesIsRefused()
    {
        using var folder = new TemporaryFolder();
        IdxFile.Write(folder.File("train-images-idx3-ubyte"), [3, 2, 3], Pixels);
        IdxFile.Write(folder.File("train-labels-idx1-ubyte"), [3], [0, 7, 1]);
        File.WriteAllLines(folder.File("classes.txt"), ["a", "b"]);
        var error = Assert.Throws<InvalidDataException>(() => IdxDataset.Open(folder.Path, "train"));
        Assert.Contains("label 7 at position 1", error.Message);
    }

    [Fact]
    public void TheShippedSampleIsRealFashionMnist()
    {
        var splits = DataSplits.Open(CommandLine.TrainCommand.Sample, channels: 1);
        Assert.Equal(3000, splits.Train.Count);
        Assert.Equal(1000, splits.Validation.Count);
        Assert.Equal(IdxDataset.FashionMnistClasses, splits.Train.Classes);
        var counts = new int[10];
        for (int i = 0; i < splits.Train.Count; i++)
            counts[splits.Train.Label(i)]++;
        Assert.All(counts, c => Assert.Equal(300, c));
        // Fashion-MNIST's first training image is an ankle boot (label 9), per the dataset's README figure order.
        Assert.Equal(9, splits.Train.Label(0));
    }
}
