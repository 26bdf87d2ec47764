using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace NetGen.Data;

/// <summary>
/// Images in class folders, as torchvision's ImageFolder reads them: <c>root/&lt;class&gt;/&lt;image&gt;</c>,
/// classes in ordinal order of their folder names, images in ordinal order within a class.
/// </summary>
public sealed class ImageFolderDataset : Dataset
{
    private readonly string root;
    private readonly string[] classes;
    private readonly (string Path, int Label)[] items;

    /// <summary>Lists the images under <paramref name="root"/>, to be decoded with <paramref name="channels"/> channels.</summary>
    /// <exception cref="DirectoryNotFoundException">There is no such folder.</exception>
    /// <exception cref="InvalidDataException">It has no class folders, a class folder holds no image, or there is no image at all.</exception>
    public ImageFolderDataset(string root, int channels)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{root}: no such folder.");
        this.root = root;
        Channels = channels;
        var folders = Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        if (folders.Length == 0)
            throw new InvalidDataException($"{root}: no class folders; an image folder holds one folder of images per class (root/<class>/<image>), " +
                "or IDX files (train-images-idx3-ubyte.gz, ...).");
        classes = folders.Select(Path.GetFileName).ToArray()!;
        var list = new List<(string, int)>();
        for (int label = 0; label < folders.Length; label++)
        {
            var files = Directory.GetFiles(folders[label]).Where(ImageFile.HasImageExtension).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
                throw new InvalidDataException($"{folders[label]}: class folder '{classes[label]}' holds no image ({string.Join(", ", ImageFile.Extensions)}).");
            list.AddRange(files.Select(f => (f, label)));
        }
        items = [.. list];
    }

    /// <inheritdoc/>
    public override string Source => root;

    /// <inheritdoc/>
    public override IReadOnlyList<string> Classes => classes;

    /// <inheritdoc/>
    public override int Count => items.Length;

    /// <inheritdoc/>
    public override int Channels { get; }

    /// <inheritdoc/>
    public override int Label(int index) => items[index].Label;

    /// <inheritdoc/>
    public override RawImage Read(int index) => ImageFile.Read(items[index].Path, Channels);

    /// <inheritdoc/>
    public override string Describe(int index) => items[index].Path;
}
