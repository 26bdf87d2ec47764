using System.Collections.Generic;

namespace NetGen.Data;

/// <summary>Labelled images, read one at a time (decoding happens in <see cref="Read"/>, on the caller's thread).</summary>
public abstract class Dataset
{
    /// <summary>Where the images come from (a folder or a file), for messages.</summary>
    public abstract string Source { get; }

    /// <summary>The class names; a label is an index into this list.</summary>
    public abstract IReadOnlyList<string> Classes { get; }

    /// <summary>How many images the dataset holds.</summary>
    public abstract int Count { get; }

    /// <summary>The channels every image is read with (1 or 3).</summary>
    public abstract int Channels { get; }

    /// <summary>The class of image <paramref name="index"/>.</summary>
    public abstract int Label(int index);

    /// <summary>Decodes image <paramref name="index"/>.</summary>
    public abstract RawImage Read(int index);

    /// <summary>A name for image <paramref name="index"/> that finds it again: its file, or the IDX file and position.</summary>
    public abstract string Describe(int index);
}
