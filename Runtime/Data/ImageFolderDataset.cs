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
    private readonly int[] classStarts;
    private readonly UnreadableImages unreadable;

    /// <summary>
    /// Lists the images under <paramref name="root"/>, to be decoded with <paramref name="channels"/>
    /// channels. Every file's header is checked here; one that is not an image goes to
    /// <paramref name="unreadable"/> (skipped with a warning, or an error when it is strict).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">There is no such folder.</exception>
    /// <exception cref="InvalidDataException">It has no class folders, a class folder holds no usable image, or a strict policy met an unreadable one.</exception>
    public ImageFolderDataset(string root, int channels, UnreadableImages? unreadable = null)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{root}: no such folder.");
        this.root = root;
        this.unreadable = unreadable ?? new UnreadableImages();
        Channels = channels;
        var folders = Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        if (folders.Length == 0)
            throw new InvalidDataException($"{root}: no class folders; an image folder holds one folder of images per class (root/<class>/<image>), " +
                "or IDX files (train-images-idx3-ubyte.gz, ...).");
        classes = folders.Select(Path.GetFileName).ToArray()!;
        var list = new List<(string, int)>();
        classStarts = new int[folders.Length + 1];
        for (int label = 0; label < folders.Length; label++)
        {
            var files = Directory.GetFiles(folders[label]).Where(ImageFile.HasImageExtension).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
                throw new InvalidDataException($"{folders[label]}: class folder '{classes[label]}' holds no image ({string.Join(", ", ImageFile.Extensions)}).");
            // Headers are read in parallel, reported in file order.
            var problems = new string?[files.Length];
            System.Threading.Tasks.Parallel.For(0, files.Length, i => problems[i] = ImageFile.HeaderProblem(files[i]));
            int before = list.Count;
            for (int i = 0; i < files.Length; i++)
            {
                if (problems[i] is { } problem)
                    this.unreadable.Report(files[i], problem);
                else
                    list.Add((files[i], label));
            }
            if (list.Count == before)
                throw new InvalidDataException($"{folders[label]}: class folder '{classes[label]}' holds no usable image: all {files.Length} of its files are unreadable.");
            classStarts[label + 1] = list.Count;
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
    /// <remarks>
    /// A file whose header passed but whose data does not decode is reported to the policy and,
    /// unless it is strict, replaced by the next image of its class (the same one every time, so a
    /// resumed run sees what an uninterrupted one saw).
    /// </remarks>
    public override RawImage Read(int index)
    {
        int label = items[index].Label, start = classStarts[label], end = classStarts[label + 1];
        for (int tried = 0; tried < end - start; tried++, index = index + 1 < end ? index + 1 : start)
        {
            string path = items[index].Path;
            try
            {
                return ImageFile.Read(path, Channels);
            }
            catch (InvalidDataException e)
            {
                unreadable.Report(path, e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message);
            }
        }
        throw new InvalidDataException($"{Path.Combine(root, classes[label])}: class folder '{classes[label]}' has no image left that decodes.");
    }

    /// <inheritdoc/>
    public override string Describe(int index) => items[index].Path;
}
