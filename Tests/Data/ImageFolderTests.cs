using System;
using System.IO;
using NetGen.Data;
using NetGen.Tests.Infrastructure;
using StbImageWriteSharp;

namespace NetGen.Tests.Data;

/// <summary>The image-folder reader on PNG and JPEG files written here, and its errors on bad folders and files.</summary>
public class ImageFolderTests
{
    /// <summary>Writes a <paramref name="width"/> x <paramref name="height"/> RGB PNG whose pixel (x, y) is (x * 10 + tag, y * 10, tag).</summary>
    internal static void WritePng(string path, int width, int height, byte tag)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                (pixels[(y * width + x) * 3], pixels[(y * width + x) * 3 + 1], pixels[(y * width + x) * 3 + 2]) = ((byte)(x * 10 + tag), (byte)(y * 10), tag);
        using var stream = File.Create(path);
        new ImageWriter().WritePng(pixels, width, height, ColorComponents.RedGreenBlue, stream);
    }

    [Fact]
    public void ClassesAreFolderNamesInOrdinalOrderAndPixelsDecodeExactly()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("dog", "b.png"), 4, 3, 2);
        WritePng(folder.File("dog", "a.png"), 4, 3, 1);
        WritePng(folder.File("cat", "z.PNG"), 5, 2, 3);
        File.WriteAllText(folder.File("cat", "notes.txt"), "not an image, and not counted");

        var dataset = new ImageFolderDataset(folder.Path, channels: 3);

        Assert.Equal(["cat", "dog"], dataset.Classes);
        Assert.Equal(3, dataset.Count);
        Assert.Equal([0, 1, 1], new[] { dataset.Label(0), dataset.Label(1), dataset.Label(2) });
        Assert.EndsWith("a.png", dataset.Describe(1));
        var image = dataset.Read(1);
        Assert.Equal((4, 3, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal((byte)(2 * 10 + 1), image[1, 2, 0]);
        Assert.Equal((byte)10, image[1, 2, 1]);
        Assert.Equal((byte)1, image[1, 2, 2]);
    }

    [Fact]
    public void GreyReadingUsesTheLuminanceOfEachPixel()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("a", "x.png"), 2, 2, 0);
        var grey = new ImageFolderDataset(folder.Path, channels: 1).Read(0);
        Assert.Equal(1, grey.Channels);
        // stb: (77 r + 150 g + 29 b) >> 8; pixel (1, 1) is (10, 10, 0).
        Assert.Equal((byte)((77 * 10 + 150 * 10 + 29 * 0) >> 8), grey[1, 1, 0]);
    }

    [Fact]
    public void ACorruptJpegNamesTheFile()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("a", "good.png"), 2, 2, 0);
        string bad = folder.File("a", "broken.jpg");
        // A JPEG start-of-image marker followed by garbage: looks like a JPEG, does not decode.
        File.WriteAllBytes(bad, [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var dataset = new ImageFolderDataset(folder.Path, channels: 3);
        var error = Assert.Throws<InvalidDataException>(() => dataset.Read(0));
        Assert.Contains(bad, error.Message);
        Assert.Contains("not a readable image", error.Message);
    }

    [Fact]
    public void AnEmptyClassFolderIsRefusedByName()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("a", "x.png"), 2, 2, 0);
        Directory.CreateDirectory(Path.Combine(folder.Path, "empty"));
        var error = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(folder.Path, 3));
        Assert.Contains("class folder 'empty' holds no image", error.Message);
    }

    [Fact]
    public void AFolderWithNoUsableImageIsRefused()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("readme.txt"), "no classes here");
        var error = Assert.Throws<InvalidDataException>(() => DataSplits.Open(folder.Path, 3));
        Assert.Contains(folder.Path, error.Message);
        Assert.Contains("no class folders", error.Message);

        File.WriteAllText(folder.File("cats", "list.txt"), "only text");
        error = Assert.Throws<InvalidDataException>(() => DataSplits.Open(folder.Path, 3));
        Assert.Contains("holds no image", error.Message);
    }

    [Fact]
    public void TrainAndValSplitsMustNameTheSameClasses()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("train", "cat", "1.png"), 2, 2, 0);
        WritePng(folder.File("train", "dog", "1.png"), 2, 2, 0);
        WritePng(folder.File("val", "cat", "1.png"), 2, 2, 0);
        WritePng(folder.File("val", "fox", "1.png"), 2, 2, 0);
        var error = Assert.Throws<InvalidDataException>(() => DataSplits.Open(folder.Path, 3));
        Assert.Contains("differ from the training split's (cat, dog)", error.Message);
    }

    [Fact]
    public void AFolderOfClassesAloneHoldsOutEveryTenthImage()
    {
        using var folder = new TemporaryFolder();
        for (int i = 0; i < 20; i++)
            WritePng(folder.File("a", $"{i:00}.png"), 2, 2, 0);
        for (int i = 0; i < 3; i++)
            WritePng(folder.File("b", $"{i:00}.png"), 2, 2, 0);
        var splits = DataSplits.Open(folder.Path, 3);
        // Class a: its 10th and 20th images; class b (under ten): its first.
        Assert.Equal(3, splits.Validation.Count);
        Assert.EndsWith("09.png", splits.Validation.Describe(0));
        Assert.EndsWith("19.png", splits.Validation.Describe(1));
        Assert.EndsWith(Path.Combine("b", "00.png"), splits.Validation.Describe(2));
        Assert.Equal(20, splits.Train.Count);
    }
}
