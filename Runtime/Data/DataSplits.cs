using System;
using System.IO;
using System.Linq;

namespace NetGen.Data;

/// <summary>A dataset's training and validation (or test) images.</summary>
/// <param name="Train">The images to learn from.</param>
/// <param name="Validation">The images to measure on: the folder's <c>val/</c> (or <c>test/</c>), the IDX test split, or every tenth image held out.</param>
public sealed record DataSplits(Dataset Train, Dataset Validation)
{
    /// <summary>
    /// Opens the dataset at <paramref name="path"/>, reading images with <paramref name="channels"/> channels:
    /// <list type="bullet">
    /// <item>a folder of IDX files: <c>train-*</c> to train on, <c>t10k-*</c> to validate on;</item>
    /// <item>an image folder with <c>train/</c> and <c>val/</c> (or <c>test/</c>) subfolders, each <c>&lt;class&gt;/&lt;image&gt;</c>;</item>
    /// <item>an image folder of classes alone: every tenth image of each class, in file order, is held out for validation.</item>
    /// </list>
    /// </summary>
    /// <exception cref="InvalidDataException">The splits' classes differ, or a split is unreadable.</exception>
    public static DataSplits Open(string path, int channels, UnreadableImages? unreadable = null)
    {
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"{path}: no such folder (a dataset is a folder of IDX files or of class folders).");
        if (IdxDataset.IsIdxFolder(path))
        {
            var train = IdxDataset.Open(path, "train")!;
            var test = IdxDataset.Open(path, "t10k")
                ?? throw new InvalidDataException($"{path}: has a train split but no t10k-images-idx3-ubyte(.gz) to validate on.");
            return Checked(new DataSplits(WithChannels(train, channels), WithChannels(test, channels)));
        }
        string trainFolder = Path.Combine(path, "train");
        string? validationFolder = new[] { "val", "test" }.Select(s => Path.Combine(path, s)).FirstOrDefault(Directory.Exists);
        if (Directory.Exists(trainFolder) && validationFolder is not null)
            return Checked(new DataSplits(new ImageFolderDataset(trainFolder, channels, unreadable), new ImageFolderDataset(validationFolder, channels, unreadable)));
        if (Directory.Exists(trainFolder))
            return HoldOut(new ImageFolderDataset(trainFolder, channels, unreadable));
        return HoldOut(new ImageFolderDataset(path, channels, unreadable));
    }

    /// <summary>Opens only the split one measures on (see <see cref="Open"/>).</summary>
    public static Dataset OpenValidation(string path, int channels, UnreadableImages? unreadable = null) => Open(path, channels, unreadable).Validation;

    /// <summary>Holds out the tenth, twentieth, ... image of each class, or a class's first image when it has 2 to 9.</summary>
    private static DataSplits HoldOut(Dataset all)
    {
        var sizes = new int[all.Classes.Count];
        for (int i = 0; i < all.Count; i++)
            sizes[all.Label(i)]++;
        var seen = new int[sizes.Length];
        var train = new System.Collections.Generic.List<int>();
        var validation = new System.Collections.Generic.List<int>();
        for (int i = 0; i < all.Count; i++)
        {
            int label = all.Label(i), position = seen[label]++;
            bool heldOut = sizes[label] < 10 ? position == 0 && sizes[label] > 1 : position % 10 == 9;
            (heldOut ? validation : train).Add(i);
        }
        if (validation.Count == 0)
            throw new InvalidDataException($"{all.Source}: too few images to hold some out for validation; give it train/ and val/ folders.");
        return new DataSplits(new DatasetSubset(all, [.. train], all.Source + " (less every 10th image)"),
            new DatasetSubset(all, [.. validation], all.Source + " (every 10th image, held out)"));
    }

    private static Dataset WithChannels(Dataset dataset, int channels) =>
        dataset.Channels == channels ? dataset
        : throw new InvalidDataException($"{dataset.Source}: holds {dataset.Channels}-channel images, the network takes {channels}.");

    private static DataSplits Checked(DataSplits splits)
    {
        if (!splits.Train.Classes.SequenceEqual(splits.Validation.Classes, StringComparer.Ordinal))
            throw new InvalidDataException($"{splits.Validation.Source}: its classes ({string.Join(", ", splits.Validation.Classes)}) differ from the training split's ({string.Join(", ", splits.Train.Classes)}).");
        if (splits.Train.Count == 0)
            throw new InvalidDataException($"{splits.Train.Source}: no training images.");
        return splits;
    }
}
