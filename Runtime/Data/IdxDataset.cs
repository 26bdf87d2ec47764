using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace NetGen.Data;

/// <summary>
/// Images and labels from a pair of IDX files, as MNIST and Fashion-MNIST ship them:
/// <c>train-images-idx3-ubyte(.gz)</c> with <c>train-labels-idx1-ubyte(.gz)</c>, and <c>t10k-...</c> for the test split.
/// </summary>
public sealed class IdxDataset : Dataset
{
    /// <summary>Fashion-MNIST's ten classes, in label order (from the dataset's README).</summary>
    public static readonly string[] FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private readonly IdxFile images;
    private readonly byte[] labels;
    private readonly string[] classes;
    private readonly int height, width, pixels;

    /// <summary>Pairs an images file (n x rows x columns) with a labels file (n) and names the classes.</summary>
    /// <exception cref="InvalidDataException">The files do not match each other, or a label is not a class.</exception>
    public IdxDataset(IdxFile images, IdxFile labels, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classes);
        if (images.Dimensions.Length != 3)
            throw new InvalidDataException($"{images.Path}: an images file has 3 dimensions (images x rows x columns), this one has {images.Dimensions.Length} ({string.Join(" x ", images.Dimensions)}).");
        if (labels.Dimensions.Length != 1)
            throw new InvalidDataException($"{labels.Path}: a labels file has 1 dimension, this one has {labels.Dimensions.Length} ({string.Join(" x ", labels.Dimensions)}).");
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new InvalidDataException($"{labels.Path}: {labels.Dimensions[0]:N0} labels for the {images.Dimensions[0]:N0} images of {images.Path}; there must be one label per image.");
        this.images = images;
        this.labels = labels.Data;
        this.classes = [.. classes];
        (height, width) = (images.Dimensions[1], images.Dimensions[2]);
        pixels = height * width;
        int largest = this.labels.Max();
        if (largest >= this.classes.Length)
        {
            int at = Array.IndexOf(this.labels, (byte)largest);
            throw new InvalidDataException($"{labels.Path}: label {largest} at position {at} is not one of the {this.classes.Length} classes ({string.Join(", ", this.classes)}).");
        }
    }

    /// <summary>
    /// Opens split <paramref name="split"/> (<c>train</c> or <c>t10k</c>) of the IDX dataset in <paramref name="folder"/>.
    /// Class names come from <c>classes.txt</c> (one per line) when the folder has one, else Fashion-MNIST's when
    /// the folder's name says so, else the label numbers.
    /// </summary>
    /// <returns>null when the folder has no images file for the split.</returns>
    public static IdxDataset? Open(string folder, string split)
    {
        string? imagesPath = Find(folder, $"{split}-images-idx3-ubyte");
        if (imagesPath is null)
            return null;
        string labelsPath = Find(folder, $"{split}-labels-idx1-ubyte")
            ?? throw new InvalidDataException($"{folder}: has {Path.GetFileName(imagesPath)} but no {split}-labels-idx1-ubyte(.gz) beside it.");
        var labels = IdxFile.Read(labelsPath);
        return new IdxDataset(IdxFile.Read(imagesPath), labels, ClassNames(folder, labels));
    }

    /// <summary>Whether <paramref name="folder"/> holds an IDX training split.</summary>
    public static bool IsIdxFolder(string folder) => Find(folder, "train-images-idx3-ubyte") is not null;

    /// <inheritdoc/>
    public override string Source => images.Path;

    /// <inheritdoc/>
    public override IReadOnlyList<string> Classes => classes;

    /// <inheritdoc/>
    public override int Count => labels.Length;

    /// <inheritdoc/>
    public override int Channels => 1;

    /// <inheritdoc/>
    public override int Label(int index) => labels[index];

    /// <inheritdoc/>
    public override RawImage Read(int index) =>
        new(width, height, 1, images.Data.AsSpan(index * pixels, pixels).ToArray());

    /// <inheritdoc/>
    public override string Describe(int index) => $"{Path.GetFileName(images.Path)}[{index}]";

    private static string? Find(string folder, string stem) =>
        new[] { stem, stem + ".gz" }.Select(name => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    private static string[] ClassNames(string folder, IdxFile labels)
    {
        string listed = Path.Combine(folder, "classes.txt");
        if (File.Exists(listed))
            return File.ReadAllLines(listed).Select(line => line.Trim()).Where(line => line.Length > 0).ToArray();
        if (Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))).Contains("fashion", StringComparison.OrdinalIgnoreCase))
            return FashionMnistClasses;
        return Enumerable.Range(0, labels.Data.Max() + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
