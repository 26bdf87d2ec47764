using System;

#if NETGEN_GENERATOR
// The generator compiles these sources in (Generator/NetGen.Generator.csproj) to read attributes by
// their own names and defaults; in its own namespace, so no project sees two NetGen attributes.
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>
/// Declares a network: the class becomes a generated network whose layers are its
/// <see cref="Layer"/> properties, in declaration order. The class must be <c>partial</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Input channels (3 for RGB, 1 for grayscale).</summary>
    public int Channels { get; set; }

    /// <summary>Input height in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Input width in pixels.</summary>
    public int Width { get; set; }

    /// <summary>
    /// Number of columns the network is split into, as AlexNet was split over two GPUs. Every
    /// layer's filters or units but the last layer's must divide evenly between the columns; a
    /// last layer whose outputs do not is computed whole on every column.
    /// </summary>
    public int Columns { get; set; } = 1;

    /// <summary>
    /// How every convolution and pooling rounds its output size unless it sets its own
    /// <c>Round</c>: <see cref="Rounding.Exact"/> (the default) makes a remainder a compile error,
    /// so a network of stride-2 layers on even sizes says <c>Round = Rounding.Floor</c> once here.
    /// </summary>
    public Rounding Round { get; set; }

    /// <summary>
    /// Another network whose layers this one takes, in their order and with their settings:
    /// <c>[Network(Layers = typeof(AlexNet), Classes = 3)] public sealed partial class Flowers;</c>
    /// is AlexNet with three outputs. The input (<see cref="Channels"/>, <see cref="Height"/>,
    /// <see cref="Width"/>) and <see cref="Columns"/> are the other network's unless set here. A
    /// network with <c>Layers</c> declares no layer properties of its own: the generator writes them.
    /// </summary>
    public Type? Layers { get; set; }

    /// <summary>
    /// The number of classes: the outputs of the last layer. With <see cref="Layers"/> it replaces
    /// the other network's last <c>Dense</c> units (or <c>Conv</c> filters); on a network that
    /// declares its own layers it must agree with the last one. 0 (the default) leaves the layers as
    /// they are.
    /// </summary>
    public int Classes { get; set; }

    /// <summary>
    /// How every convolution's and dense layer's weights start unless it sets its own <c>Init</c>:
    /// <see cref="Init.Gaussian"/> (the default, each layer's <c>WeightStd</c>) or a PyTorch preset.
    /// With <see cref="Layers"/>, the other network's unless set here.
    /// </summary>
    public Init Init { get; set; }
}
