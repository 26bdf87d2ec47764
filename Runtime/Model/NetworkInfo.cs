using System.Collections.Generic;
using System.Linq;

namespace NetGen;

/// <summary>Everything the generator worked out about a network, emitted as literals in its generated code.</summary>
/// <param name="Name">The class name.</param>
/// <param name="Input">The shape of one input image.</param>
/// <param name="Columns">How many columns (devices) the layers split into.</param>
/// <param name="Layers">The layers in order.</param>
/// <param name="Parameters">Every tensor, trained or not (running statistics), in the order they sit in <see cref="Network.Parameters"/>.</param>
/// <param name="ParameterCount">The floats of <see cref="Network.Parameters"/>: every tensor's, trained or not.</param>
/// <param name="MultiplyAdds">Forward multiply-adds per image.</param>
public sealed record NetworkInfo(
    string Name,
    Shape Input,
    int Columns,
    IReadOnlyList<LayerInfo> Layers,
    IReadOnlyList<ParameterInfo> Parameters,
    long ParameterCount,
    long MultiplyAdds)
{
    /// <summary>The network in evaluation mode as ONNX nodes (<see cref="OnnxExport"/> writes it with a network's weights); null where it was not generated.</summary>
    public OnnxGraphInfo? Onnx { get; init; }

    /// <summary>The network's PyTorch twin, an <c>nn.Module</c> as Python source whose <c>state_dict()</c> has these tensor names; null where it was not generated.</summary>
    public string? PyTorch { get; init; }

    /// <summary>The shape of the network's output for one image.</summary>
    public Shape Output => Layers[Layers.Count - 1].Output;

    /// <summary>The parameters the optimiser trains, as PyTorch's <c>model.parameters()</c> counts them: <see cref="ParameterCount"/> less running statistics.</summary>
    public long TrainedParameterCount => Parameters.Where(p => p.Trainable).Sum(p => p.Count);

    /// <summary>The trained parameters of <paramref name="layer"/>.</summary>
    public long TrainedParametersOf(LayerInfo layer) => Parameters.Where(p => p.Trainable && p.Name.StartsWith(layer.Name + ".", System.StringComparison.Ordinal)).Sum(p => p.Count);

    /// <summary>"19,706 parameters", with "and 294 running statistics" where some tensors are not trained.</summary>
    public string DescribeParameters()
    {
        long trained = TrainedParameterCount, rest = ParameterCount - trained;
        return rest == 0 ? $"{trained:N0} parameters" : $"{trained:N0} parameters and {rest:N0} running statistics";
    }
}

/// <summary>One layer: a learnable operation and the parameter-free operations after it.</summary>
/// <param name="Name">Lower-case member name (<c>conv1</c>), used for parameters and activations.</param>
/// <param name="Member">The property name (<c>Conv1</c>).</param>
/// <param name="Input">The shape the layer reads.</param>
/// <param name="Operations">The operations in order, each with its output shape.</param>
/// <param name="ParameterCount">Its floats in the parameter buffer: weights, biases and running statistics.</param>
/// <param name="MultiplyAdds">Forward multiply-adds per image.</param>
public sealed record LayerInfo(
    string Name,
    string Member,
    Shape Input,
    IReadOnlyList<OperationInfo> Operations,
    long ParameterCount,
    long MultiplyAdds)
{
    /// <summary>The shape after the layer's last operation.</summary>
    public Shape Output => Operations[Operations.Count - 1].Output;
}

/// <summary>One operation of a layer.</summary>
/// <param name="Kind">conv, dense, relu, lrn, maxpool, avgpool, dropout or softmax.</param>
/// <param name="Description">What it does, with its settings ("conv 96, 11x11 stride 4").</param>
/// <param name="Output">Its output shape.</param>
public sealed record OperationInfo(string Kind, string Description, Shape Output);

/// <summary>
/// One parameter tensor, laid out as PyTorch lays it out: a convolution weight is
/// (out, in / groups, kh, kw), a dense weight (out, in), a bias (out). The forward and backward
/// passes, the optimiser, the checkpoints and the partition all reach it by its place in
/// <see cref="NetworkInfo.Parameters"/>.
/// </summary>
/// <param name="Name"><c>conv1.weight</c>, <c>conv1.bias</c>, ...</param>
/// <param name="Dimensions">The tensor's dimensions, outermost first.</param>
/// <param name="Offset">Where it starts in <see cref="Network.Parameters"/>.</param>
/// <param name="Count">How many floats it holds.</param>
/// <param name="InitMean">Initial value's mean (the constant of a bias).</param>
/// <param name="InitStd">Initial value's standard deviation (0 for a constant).</param>
/// <param name="LrMult">Learning-rate multiplier.</param>
/// <param name="DecayMult">Weight-decay multiplier.</param>
/// <param name="Trainable">Whether the optimiser updates it. A tensor that is not trained (running statistics) is still initialised, saved and loaded.</param>
/// <param name="InitBound">When not 0, every initial value is a uniform draw in [InitMean - InitBound, InitMean + InitBound) (InitStd is then 0).</param>
/// <param name="DType">Its type in a safetensors file, as PyTorch's state dict has it: F32, or I64 for a count (num_batches_tracked), held as a float in the parameter buffer.</param>
public sealed record ParameterInfo(
    string Name,
    IReadOnlyList<int> Dimensions,
    long Offset,
    long Count,
    float InitMean,
    float InitStd,
    float LrMult,
    float DecayMult,
    bool Trainable = true,
    float InitBound = 0f,
    string DType = "F32");
