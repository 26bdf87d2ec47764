using System.Collections.Generic;
using System.Linq;

namespace NetGen.Interchange;

/// <summary>One layer of the network being imported: a convolution or dense layer and the operations that continue its value.</summary>
internal sealed class ImportedLayer(LearnableStep learnable, string source, int position)
{
    /// <summary>The operations in order, the learnable one first.</summary>
    public List<ImportStep> Steps { get; } = [learnable];

    /// <summary>The convolution or dense layer that starts it.</summary>
    public LearnableStep Learnable => learnable;

    /// <summary>The value it reads: the network's input or an earlier layer's output.</summary>
    public string Source { get; } = source;

    /// <summary>Where its first node stands in the graph, which orders layers that could come in either order.</summary>
    public int Position { get; } = position;

    /// <summary>Its output: the value its last operation writes.</summary>
    public string Output => Steps[^1].Output;

    /// <summary>Its last operation that NetGen writes (flattening is implicit).</summary>
    public ImportStep LastWritten => Steps.Last(s => s is not FlattenStep);

    /// <summary>Its property's name, once <see cref="LayerNames"/> has chosen it.</summary>
    public string Member { get; set; } = "";

    /// <summary>The lower-case name of its tensors and activations (<c>conv1</c>), as the generator derives it.</summary>
    public string TensorPrefix => Member.ToLowerInvariant();
}
