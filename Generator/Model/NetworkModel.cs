using System.Linq;

namespace NetGen.Generator.Model;

/// <summary>One operation with the shapes it reads and writes (per image).</summary>
/// <param name="Op">The operation, without its source location.</param>
/// <param name="Id">Unique in the network: layer * 32 + position. Dropout hashes it into its masks.</param>
internal sealed record OpModel(OpSpec Op, Shape Input, Shape Output, int Id);

/// <summary>A layer with every shape and count worked out.</summary>
/// <param name="Name">Lower-case member name: conv1. Parameters and activations are named after it.</param>
/// <param name="WeightDimensions">PyTorch's layout: (out, in / groups, kh, kw) or (out, in).</param>
internal sealed record LayerModel(
    string Member,
    string Modifiers,
    string Name,
    int Index,
    Shape Input,
    EquatableArray<OpModel> Ops,
    EquatableArray<int> WeightDimensions,
    long MultiplyAdds)
{
    public LearnableSpec Learnable => (LearnableSpec)Ops[0].Op;

    public Shape Output => Ops[Ops.Count - 1].Output;

    public long WeightCount => WeightDimensions.Aggregate(1L, (a, d) => a * d);

    public int BiasCount => WeightDimensions[0];

    public long Parameters => WeightCount + BiasCount;
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
