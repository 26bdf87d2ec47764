using System;
using System.Collections.Generic;

namespace NetGen.Data;

/// <summary>Some of another dataset's images, by index: how a folder without a validation split lends part of itself as one.</summary>
public sealed class DatasetSubset : Dataset
{
    private readonly Dataset parent;
    private readonly int[] indices;

    /// <summary>The images of <paramref name="parent"/> at <paramref name="indices"/>, in that order.</summary>
    public DatasetSubset(Dataset parent, int[] indices, string source)
    {
        this.parent = parent ?? throw new ArgumentNullException(nameof(parent));
        this.indices = indices ?? throw new ArgumentNullException(nameof(indices));
        Source = source;
    }

    /// <inheritdoc/>
    public override string Source { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Classes => parent.Classes;

    /// <inheritdoc/>
    public override int Count => indices.Length;

    /// <inheritdoc/>
    public override int Channels => parent.Channels;

    /// <inheritdoc/>
    public override int Label(int index) => parent.Label(indices[index]);

    /// <inheritdoc/>
    public override RawImage Read(int index) => parent.Read(indices[index]);

    /// <inheritdoc/>
    public override string Describe(int index) => parent.Describe(indices[index]);
}
