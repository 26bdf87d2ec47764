using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>A layer of a network bound to an accelerator: its shapes and its parameters.</summary>
public sealed class Layer
{
    internal Layer(Network network, LayerInfo info, IReadOnlyList<ParameterTensor> parameters)
    {
        Network = network;
        Info = info;
        Parameters = parameters;
    }

    /// <summary>The network the layer belongs to.</summary>
    public Network Network { get; }

    /// <summary>The generator's description of the layer.</summary>
    public LayerInfo Info { get; }

    /// <summary>Lower-case name (<c>conv1</c>).</summary>
    public string Name => Info.Name;

    /// <summary>The shape of one image's output.</summary>
    public Shape Output => Info.Output;

    /// <summary>Its parameter tensors, in the order they sit in the network's buffer (weight, then bias unless <c>Bias = false</c>).</summary>
    public IReadOnlyList<ParameterTensor> Parameters { get; }

    /// <summary>The weights: (out, in / groups, kh, kw) or (out, in).</summary>
    public ParameterTensor Weight => Tensor("weight");

    /// <summary>The biases: (out). A layer declared <c>Bias = false</c> has none (<see cref="KeyNotFoundException"/>).</summary>
    public ParameterTensor Bias => Tensor("bias");

    /// <summary>The tensor named <c>{layer}.{name}</c> (<c>weight</c>, <c>bias</c>).</summary>
    public ParameterTensor Tensor(string name)
    {
        foreach (var tensor in Parameters)
            if (tensor.Info.Name == $"{Name}.{name}")
                return tensor;
        throw new KeyNotFoundException($"{Name} has no tensor '{name}'; it has {string.Join(", ", Parameters.Select(t => t.Info.Name))}.");
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Info.Input} -> {Output}";
}

/// <summary>One parameter tensor: a slice of the network's parameter buffer on the accelerator.</summary>
public sealed class ParameterTensor
{
    private readonly Network network;

    internal ParameterTensor(Network network, ParameterInfo info)
    {
        this.network = network;
        Info = info;
    }

    /// <summary>Its name, dimensions and place in the parameter buffer.</summary>
    public ParameterInfo Info { get; }

    /// <summary>The tensor on the accelerator.</summary>
    public ArrayView<float> View => network.Parameters.View.SubView(Info.Offset, Info.Count);

    /// <summary>Its gradient in <paramref name="gradients"/>, a buffer laid out as the network's parameters.</summary>
    public ArrayView<float> Gradient(ArrayView<float> gradients) => gradients.SubView(Info.Offset, Info.Count);

    /// <summary>Copies the tensor to the host.</summary>
    public float[] Read() => BatchBuffers.ToHost(View);

    /// <summary>Copies <paramref name="values"/> (exactly <see cref="ParameterInfo.Count"/> floats) to the accelerator.</summary>
    public void Write(float[] values)
    {
        if (values.Length != Info.Count)
            throw new System.ArgumentException($"{Info.Name} holds {Info.Count} values, not {values.Length}.", nameof(values));
        View.CopyFromCPU(values);
    }
}
