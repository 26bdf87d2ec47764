using System.Collections.Generic;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Interchange;

/// <summary>
/// What both interchange writers (ONNX and the PyTorch twin) track while each operation writes
/// itself: the layer and operation at hand, the value the next operation reads and whether it is
/// still (N, C, H, W) or already flattened to (N, C), and every finished layer's output, which a
/// later layer reads by name (<c>Input = nameof(...)</c>, <c>Add(nameof(...))</c>).
/// </summary>
internal abstract class ValueFlow(NetworkModel model)
{
    private readonly Dictionary<string, (string Value, bool Flat)> layerOutputs = [];

    /// <summary>The network being written.</summary>
    public NetworkModel Model { get; } = model;

    /// <summary>The layer being written.</summary>
    public LayerModel Layer { get; private set; } = null!;

    /// <summary>The operation being written, with its shapes.</summary>
    public OpModel Op { get; set; } = null!;

    /// <summary>The value the next operation reads.</summary>
    public string Current { get; set; } = "";

    /// <summary>Whether <see cref="Current"/> is (N, C): a dense layer's output, or pooled to one value per channel.</summary>
    public bool Flat { get; set; }

    /// <summary>Starts <paramref name="layer"/> at its input: the previous layer's output, or the one it names.</summary>
    public void BeginLayer(LayerModel layer, string networkInput)
    {
        var (value, flat) = layer.InputLayer is { } named ? LayerOutput(named)
            : Layer is null ? (networkInput, false)
            : LayerOutput(Layer.Member);
        Layer = layer;
        Current = value;
        Flat = flat;
    }

    /// <summary>Records the end of the current layer, its output being <see cref="Current"/>.</summary>
    public void EndLayer() => layerOutputs[Layer.Member] = (Current, Flat);

    /// <summary>The output of the earlier layer whose member is <paramref name="member"/> (the analyser checked that it exists and comes earlier).</summary>
    public (string Value, bool Flat) LayerOutput(string member) => layerOutputs[member];

    /// <summary>How many columns the network splits into (normalisation stays within each).</summary>
    public int Columns => Model.Columns;
}
