using System;
using System.IO;
using System.Linq;
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

    /// <summary>A JPEG start-of-image marker followed by garbage: looks like a JPEG, has no frame header.</summary>
    private static readonly byte[] BrokenJpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public void ACorruptImageIsSkippedWithAWarningNamingIt()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("a", "good.png"), 2, 2, 0);
        string bad = folder.File("a", "broken.jpg"), empty = folder.File("b", "empty.png");
        File.WriteAllBytes(bad, BrokenJpeg);
        File.WriteAllBytes(empty, []);
        WritePng(folder.File("b", "fine.png"), 2, 2, 1);
        var unreadable = new UnreadableImages();
        var warnings = new System.Collections.Generic.List<string>();
        unreadable.Skipped += (path, reason) => warnings.Add($"{path}: {reason}");

        var dataset = new ImageFolderDataset(folder.Path, channels: 3, unreadable);

        Assert.Equal(2, dataset.Count);
        Assert.EndsWith("good.png", dataset.Describe(0));
        Assert.EndsWith("fine.png", dataset.Describe(1));
        Assert.Equal([bad, empty], unreadable.Files.Select(f => f.Path));
        Assert.Equal($"{bad}: cut off: the file ends after 20 bytes, before its frame header (SOF)", warnings[0]);
        Assert.Equal($"{empty}: the file is empty, not an image", warnings[1]);
    }

    [Fact]
    public void Issue22sFileInAClassFolderIsSkippedInsteadOfHangingTheOpen()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("a", "good.png"), 2, 2, 0);
        string broken = folder.File("a", "broken.jpg");
        File.WriteAllBytes(broken, [0xFF, 0xD8, 0xFF, 0xE0, .. " not really a jpeg"u8]);
        var unreadable = new UnreadableImages();
        // StbImageSharp looped for ever on this file while the folder opened (issue 22).
        var dataset = new ImageFolderDataset(folder.Path, channels: 3, unreadable);
        Assert.Equal(1, dataset.Count);
        Assert.Equal((broken, "the APP0 segment at byte 2 claims 8,302 bytes but the file ends after 22"), Assert.Single(unreadable.Files));
    }

    [Fact]
    public void StrictTurnsASkipIntoAnErrorNamingTheFile()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("a", "good.png"), 2, 2, 0);
        string bad = folder.File("a", "broken.jpg");
        File.WriteAllBytes(bad, BrokenJpeg);
        var error = Assert.Throws<InvalidDataException>(() => DataSplits.Open(folder.Path, 3, new UnreadableImages { Strict = true }));
        Assert.StartsWith($"{bad}: cut off: the file ends after 20 bytes, before its frame header (SOF)", error.Message);
        Assert.Contains("--strict", error.Message);
    }

    [Fact]
    public void AnImageThatFailsToDecodeIsReplacedByTheNextOfItsClass()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("a", "1.png"), 3, 2, 10);
        string truncated = folder.File("a", "2.png");
        WritePng(truncated, 3, 2, 20);
        // Cut inside the image data: the header is sound, the pixels are not all there.
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 20)]);
        WritePng(folder.File("a", "3.png"), 3, 2, 30);
        WritePng(folder.File("b", "1.png"), 3, 2, 40);
        var unreadable = new UnreadableImages();
        var dataset = new ImageFolderDataset(folder.Path, channels: 3, unreadable);
        Assert.Equal(4, dataset.Count);
        Assert.Empty(unreadable.Files);

        var image = dataset.Read(1);

        Assert.Equal((byte)30, image[0, 0, 2]); // 3.png's tag, in its blue channel
        Assert.Equal(truncated, Assert.Single(unreadable.Files).Path);
        Assert.Equal((byte)30, dataset.Read(1)[0, 0, 2]); // the same stand-in every time, reported once
        Assert.Single(unreadable.Files);
        Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(folder.Path, 3, new UnreadableImages { Strict = true }).Read(1));
    }

    [Fact]
    public void TheStatisticsPassUnderStrictStopsWithTheDamagedFilesOwnError()
    {
        using var folder = new TemporaryFolder();
        for (int i = 0; i < 4; i++)
            WritePng(folder.File("a", $"{i}.png"), 3, 2, (byte)i);
        string truncated = folder.File("a", "2.png");
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 20)]);
        var dataset = new ImageFolderDataset(folder.Path, 3, new UnreadableImages { Strict = true });

        // The pass decodes on every core; what a worker threw comes out as itself, not wrapped in an AggregateException.
        var error = Assert.Throws<InvalidDataException>(() => DataStatistics.Compute(dataset, new Preprocessing(2, 0, false, 0, false)));

        Assert.StartsWith($"{truncated}: ", error.Message);
    }

    [Fact]
    public void AClassWithNoReadableImageIsRefused()
    {
        using var folder = new TemporaryFolder();
        WritePng(folder.File("a", "good.png"), 2, 2, 0);
        File.WriteAllBytes(folder.File("b", "x.jpg"), BrokenJpeg);
        File.WriteAllBytes(folder.File("b", "y.png"), []);
        var error = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(folder.Path, 3));
        Assert.Contains("class folder 'b' holds no usable image: all 2 of its files are unreadable", error.Message);
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
