using System.Linq;
using NetGen.Generator.Operations;

namespace NetGen.Generator.Model;

/// <summary>One operation with the shapes it reads and writes (per image).</summary>
/// <param name="Op">The operation, without its source location.</param>
/// <param name="Id">Unique in the network: layer * 32 + position. Dropout hashes it into its masks.</param>
internal sealed record OpModel(Operation Op, Shape Input, Shape Output, int Id)
{
    /// <summary>The operation as one that starts a group (the planner puts only such operations first).</summary>
    public MainOperation Main => (MainOperation)Op;

    /// <summary>The operation as a join (a residual add), which the planner puts right after a group's main operation.</summary>
    public JoinOperation Join => (JoinOperation)Op;

    /// <summary>The operation as one of a group's epilogue.</summary>
    public ElementwiseOperation Elementwise => (ElementwiseOperation)Op;
}

/// <summary>A layer with every shape and count worked out.</summary>
/// <param name="Name">Lower-case member name: conv1. Parameters and activations are named after it.</param>
/// <param name="Tensors">Its operations' parameter tensors, in order: for a convolution or dense layer, weight then bias.</param>
/// <param name="InputLayer">The member name of the earlier layer it reads (<c>Input = nameof(Stem)</c>), or null for the previous layer.</param>
internal sealed record LayerModel(
    string Member,
    string Modifiers,
    string Name,
    int Index,
    Shape Input,
    EquatableArray<OpModel> Ops,
    EquatableArray<TensorSpec> Tensors,
    long MultiplyAdds,
    string? InputLayer = null)
{
    public Shape Output => Ops[Ops.Count - 1].Output;

    public long Parameters => Tensors.Sum(t => t.Count);
}

/// <summary>
/// A network whose every shape checked out: what Planning and Emit work from. Holds no locations,
/// so moving the declaration around its file leaves the model, and the generated code, unchanged.
/// </summary>
internal sealed record NetworkModel(TypeSpec Type, Shape Input, int Columns, EquatableArray<LayerModel> Layers, RegistrationSpec Registration)
{
    public long Parameters => Layers.Sum(l => l.Parameters);

    public long MultiplyAdds => Layers.Sum(l => l.MultiplyAdds);

    public Shape Output => Layers[Layers.Count - 1].Output;
}
