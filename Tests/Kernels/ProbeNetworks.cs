namespace NetGen.Tests.Kernels;

// Small networks whose generated kernels the tests hold against reference loops. Shapes in the
// comments are worked out by hand; the tests assert them.

/// <summary>Convolution with stride, padding and groups, and no activation, so negative values survive.</summary>
[Network(Channels = 4, Height = 11, Width = 9)]
public sealed partial class ConvProbe
{
    // (11 - 3 + 2) / 2 + 1 = 6, (9 - 3 + 2) / 2 + 1 = 5
    [Conv(6, Kernel = 3, Stride = 2, Pad = 1, Groups = 2, BiasInit = 0.5f)]
    public partial Layer Conv { get; }
}

/// <summary>Output-size rounding: ceil (cuda-convnet) with a ReLU epilogue, then floor (PyTorch).</summary>
[Network(Channels = 2, Height = 11, Width = 12)]
public sealed partial class RoundingProbe
{
    // ceil((11 - 4) / 3) + 1 = 4, ceil((12 - 4) / 3) + 1 = 4: the last windows run past the input
    [Conv(3, Kernel = 4, Stride = 3, Round = Rounding.Ceil), Relu]
    public partial Layer Conv1 { get; }

    // floor((4 - 3) / 2) + 1 = 1
    [Conv(4, Kernel = 3, Stride = 2, Round = Rounding.Floor)]
    public partial Layer Conv2 { get; }
}

/// <summary>Response normalisation with the paper's alpha, confined to each of two columns.</summary>
[Network(Channels = 3, Height = 5, Width = 4, Columns = 2)]
public sealed partial class LrnProbe
{
    [Conv(8, Kernel = 1), Lrn(5, Alpha = 0.1f, Beta = 0.75f, K = 2f)]
    public partial Layer Conv { get; }
}

/// <summary>Response normalisation with Caffe's alpha / n, after a ReLU, in one column.</summary>
[Network(Channels = 3, Height = 5, Width = 4)]
public sealed partial class LrnCaffeProbe
{
    [Conv(7, Kernel = 1), Relu, Lrn(3, Alpha = 0.3f, Beta = 0.5f, K = 1f, AlphaConvention = LrnAlpha.DividedBySize)]
    public partial Layer Conv { get; }
}

/// <summary>Max pooling with padding; average pooling with padding and a ceil-rounded overhang; a ceil max pool with a ReLU epilogue.</summary>
[Network(Channels = 3, Height = 11, Width = 11)]
public sealed partial class PoolProbe
{
    // max: (11 - 3 + 2) / 2 + 1 = 6; avg: ceil((6 - 3 + 2) / 2) + 1 = 4, whose last window overhangs the padding
    [Conv(4, Kernel = 1), MaxPool(3, Stride = 2, Pad = 1), AvgPool(3, Stride = 2, Pad = 1, Round = Rounding.Ceil)]
    public partial Layer Conv1 { get; }

    // ceil((4 - 3) / 2) + 1 = 2
    [Conv(2, Kernel = 1), MaxPool(3, Stride = 2, Round = Rounding.Ceil), Relu]
    public partial Layer Conv2 { get; }
}

/// <summary>
/// Global average pooling after a same-size convolution and a ReLU, read by a dense layer, over two
/// columns: the pool stays in its column, and the dense layer's 3 classes do not split, so every
/// column computes it whole.
/// </summary>
[Network(Channels = 3, Height = 7, Width = 7, Columns = 2)]
public sealed partial class GlobalAvgPoolProbe
{
    // 7 x 7 -> 1 x 1: one mean per channel
    [Conv(4, Kernel = 3, Pad = 1, BiasInit = 0.1f), Relu, GlobalAvgPool]
    public partial Layer Conv { get; }

    [Dense(3)]
    public partial Layer Fc { get; }
}

/// <summary>Dense layers on a flattened image, ReLU, dropout and softmax.</summary>
[Network(Channels = 3, Height = 4, Width = 5)]
public sealed partial class DenseProbe
{
    [Dense(16, BiasInit = 0.1f), Relu, Dropout(0.25f)]
    public partial Layer Fc1 { get; }

    [Dense(6), Softmax]
    public partial Layer Fc2 { get; }
}

/// <summary>A strided, padded, grouped convolution after a ReLU, so its input gradient is computed and masked.</summary>
[Network(Channels = 3, Height = 9, Width = 7)]
public sealed partial class ConvInputProbe
{
    [Conv(4, Kernel = 1, BiasInit = 0.1f), Relu]
    public partial Layer Conv1 { get; }

    // (9 - 3 + 2) / 2 + 1 = 5, (7 - 3 + 2) / 2 + 1 = 4
    [Conv(6, Kernel = 3, Stride = 2, Pad = 1, Groups = 2)]
    public partial Layer Conv2 { get; }
}

/// <summary>Max pooling over equal values: the gradient must go to the first of them, as forward chose.</summary>
[Network(Channels = 1, Height = 4, Width = 4)]
public sealed partial class TieProbe
{
    // (4 - 2) / 1 + 1 = 3
    [Conv(1, Kernel = 1), MaxPool(2, Stride = 1)]
    public partial Layer Conv { get; }

    [Dense(3)]
    public partial Layer Fc { get; }
}

/// <summary>Caffe's multipliers: biases learn twice as fast and do not decay.</summary>
[Network(Channels = 2, Height = 3, Width = 3)]
public sealed partial class SgdProbe
{
    [Dense(5, BiasLrMult = 2f, BiasDecayMult = 0f, WeightStd = 0.5f, BiasInit = 0.1f), Relu, Dropout(0.5f)]
    public partial Layer Fc1 { get; }

    [Dense(3, WeightStd = 0.5f), Softmax]
    public partial Layer Fc2 { get; }
}

/// <summary>
/// Stride-1 convolutions whose output is the input's size, 3x3 with padding 1, grouped 5x5 with
/// padding 2 and 1x1: the CPU backend lowers and raises these as whole shifted planes, and takes
/// the short filters of the first and last (18 and 4 taps) directly, the last with an input gradient.
/// </summary>
[Network(Channels = 2, Height = 6, Width = 5)]
public sealed partial class SamePaddingProbe
{
    [Conv(4, Kernel = 3, Pad = 1, BiasInit = 0.1f), Relu]
    public partial Layer Conv1 { get; }

    [Conv(4, Kernel = 5, Pad = 2, Groups = 2)]
    public partial Layer Conv2 { get; }

    [Conv(3, Kernel = 1)]
    public partial Layer Conv3 { get; }
}

/// <summary>One input and two classes: logits small enough to work out a loss by hand.</summary>
[Network(Channels = 1, Height = 1, Width = 1)]
public sealed partial class TwoClassProbe
{
    [Dense(2)]
    public partial Layer Fc { get; }
}

/// <summary>
/// Layers declared <c>Bias = false</c>, as PyTorch's <c>bias=False</c>: a strided grouped
/// convolution (lowered on the CPU backend), a same-size 3x3 (shifted planes) and a 1x1 (direct),
/// a dense layer, and a last dense layer that keeps its bias, so the offsets after them show.
/// </summary>
[Network(Channels = 4, Height = 7, Width = 7)]
public sealed partial class NoBiasProbe
{
    // (7 - 3 + 2) / 2 + 1 = 4: weight 6 x 2 x 3 x 3 = 108 at 0
    [Conv(6, Kernel = 3, Stride = 2, Pad = 1, Groups = 2, Bias = false), Relu]
    public partial Layer Conv1 { get; }

    // weight 4 x 6 x 3 x 3 = 216 at 108
    [Conv(4, Kernel = 3, Pad = 1, Bias = false), Relu]
    public partial Layer Conv2 { get; }

    // weight 4 x 4 = 16 at 324
    [Conv(4, Kernel = 1, Bias = false), Relu]
    public partial Layer Conv3 { get; }

    // weight 5 x 64 = 320 at 340
    [Dense(5, Bias = false), Relu]
    public partial Layer Fc1 { get; }

    // weight 3 x 5 = 15 at 660, bias 3 at 675: 678 in all
    [Dense(3)]
    public partial Layer Fc2 { get; }
}

/// <summary>
/// The graph operations together: batch normalisation after a convolution and after a dense layer,
/// a residual Add, and layers that read an earlier layer by name. Stem's output is read three times
/// (Block's input, Block's Add, Side's input), so its gradient is a sum of three parts; Side's is
/// read by a join alone. Its activations are smooth (no ReLU), so finite differences of its float
/// loss meet no kink; ResNet8's ReLUs are held to PyTorch instead (ResNetTorchTests).
/// </summary>
[Network(Channels = 2, Height = 6, Width = 6, Round = Rounding.Floor)]
public sealed partial class GraphProbe
{
    [Conv(4, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Tanh]
    public partial Layer Stem { get; }

    [Conv(4, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Stem)), Gelu]
    public partial Layer Block { get; }

    // 6 x 6 -> 3 x 3, from the stem
    [Conv(8, Kernel = 1, Stride = 2, Input = nameof(Stem)), Tanh]
    public partial Layer Side { get; }

    [Conv(8, Kernel = 3, Stride = 2, Pad = 1, Input = nameof(Block)), Add(nameof(Side)), Elu, GlobalAvgPool]
    public partial Layer Down { get; }

    [Dense(6, Bias = false), BatchNorm(Momentum = 0.25f), Sigmoid]
    public partial Layer Fc { get; }

    [Dense(3)]
    public partial Layer Out { get; }
}

/// <summary>
/// <see cref="GraphProbe"/> over two columns: each device normalises its own channels, adds its
/// slice of the earlier layer, and gathers a named input whole where its convolution needs every
/// channel; the last layer's 3 classes do not split, so every device computes it whole.
/// </summary>
[Network(Channels = 2, Height = 6, Width = 6, Round = Rounding.Floor, Columns = 2)]
public sealed partial class GraphColumnsProbe
{
    [Conv(4, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Tanh]
    public partial Layer Stem { get; }

    [Conv(4, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Stem)), Gelu]
    public partial Layer Block { get; }

    [Conv(8, Kernel = 1, Stride = 2, Input = nameof(Stem)), Tanh]
    public partial Layer Side { get; }

    [Conv(8, Kernel = 3, Stride = 2, Pad = 1, Input = nameof(Block)), Add(nameof(Side)), Relu, GlobalAvgPool]
    public partial Layer Down { get; }

    [Dense(6, Bias = false), BatchNorm(Momentum = 0.25f), Sigmoid]
    public partial Layer Fc { get; }

    [Dense(3, Bias = false), BatchNorm]
    public partial Layer Out { get; }
}
