using NetGen;

namespace NetGen.Tests.Interchange;

/// <summary>Batch normalisation after a dense layer (a (N, C) input), then another dense layer without a bias.</summary>
[Network(Channels = 2, Height = 3, Width = 3)]
public sealed partial class DenseBatchNormProbe
{
    /// <summary>6 units, normalised over the batch, then rectified.</summary>
    [Dense(6, Bias = false), BatchNorm(Eps = 1e-3f), Relu]
    public partial Layer Fc1 { get; }

    /// <summary>Four classes.</summary>
    [Dense(4, Bias = false), Softmax]
    public partial Layer Fc2 { get; }
}

/// <summary>
/// Ceil rounding on a convolution with padding and on an average pool past its padding, a layer
/// that reads an earlier one by name, and a residual add of a layer that is not the previous one.
/// </summary>
[Network(Channels = 3, Height = 10, Width = 9, Round = Rounding.Ceil)]
public sealed partial class CeilAndJoinProbe
{
    /// <summary>4 x 6 x 5.</summary>
    [Conv(4, Kernel = 3, Stride = 2, Pad = 1), Elu(0.5f)]
    public partial Layer Conv1 { get; }

    /// <summary>4 x 4 x 3: the last row of windows runs past the padding.</summary>
    [Conv(4, Kernel = 1), AvgPool(3, Stride = 2, Pad = 1)]
    public partial Layer Conv2 { get; }

    /// <summary>Reads Conv1 (4 x 4 x 3, its last row of windows past the padding), adds Conv2, then 4 x 2 x 2.</summary>
    [Conv(4, Kernel = 3, Stride = 2, Pad = 1, Input = nameof(Conv1)), Add(nameof(Conv2)), LeakyRelu(0.1f), MaxPool(2, Stride = 2)]
    public partial Layer Conv3 { get; }

    /// <summary>Three classes.</summary>
    [Dense(3), Softmax]
    public partial Layer Fc { get; }
}
